"""Content-Security-Policy and Permissions-Policy on every answer, cached pages included,
and templates that need nothing the policy refuses (the browser tests prove the rest)."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.core.checks import Tags, run_checks
from django.db.utils import OperationalError
from django.test import RequestFactory

from shopstack.core.middleware import permissions_policy_header
from shopstack.storefront.views.errors import server_error

SHOPSTACK = Path(__file__).resolve().parents[2]
# Emails are read in mail programs, which ignore the shop's headers and want inline styles.
EMAIL_TEMPLATES = SHOPSTACK / "templates" / "notifications" / "email"


def directives(header: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in header.split("; "))}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/c/{leaf}/", "/p/{white}/"])
def test_cached_pages_carry_both_policies_on_a_miss_and_a_hit(client, shop, path):
    url = path.format(leaf=shop["leaf"].slug, white=shop["white"].slug)
    first, second = client.get(url), client.get(url)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    for response in (first, second):
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "camera=()" in response["Permissions-Policy"]
        assert "geolocation=()" in response["Permissions-Policy"]
    # No nonce: the same cached body goes to every visitor, so a nonce in it would be stale.
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert b"nonce" not in second.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/docs", "/admin/login/"])
def test_other_pages_carry_the_policy_too(client, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert response["Permissions-Policy"]


def _templates() -> list[Path]:
    return [
        path
        for path in SHOPSTACK.rglob("templates/**/*.html")
        if EMAIL_TEMPLATES not in path.parents and path.name != "500.html"
    ]


def test_templates_have_no_inline_script_event_handler_or_style():
    assert len(_templates()) > 50
    offending = []
    for path in _templates():
        text = path.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            if "src=" not in tag and 'type="application/json"' not in tag:
                offending.append(f"{path}: inline {tag}")
        offending += [f"{path}: {m}" for m in re.findall(r"\son[a-z]+=\"", text)]
        offending += [f"{path}: {m}" for m in re.findall(r"<style\b|\sstyle=\"", text)]
    assert offending == []


def test_the_error_page_names_its_own_inline_style_by_hash():
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(RequestFactory().get("/"))
    css = re.search(r"<style>(.*?)</style>", response.content.decode(), re.DOTALL)[1]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    policy = directives(response["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", f"'sha256-{digest}'"]
    assert policy["script-src"] == ["'self'"]


def test_permissions_policy_header_format():
    header = permissions_policy_header({"camera": [], "payment": ["self", "https://pay.example.com"]})
    assert header == 'camera=(), payment=(self "https://pay.example.com")'


def _ids() -> set[str]:
    checks = run_checks(tags=[Tags.security], include_deployment_checks=True)
    return {message.id for message in checks if message.id}


def test_deploy_checks_accept_the_shipped_headers():
    assert not {"shopstack.W020", "shopstack.W021", "shopstack.W022"} & _ids()


def test_deploy_check_warns_without_a_policy(settings):
    settings.SECURE_CSP = {}
    assert "shopstack.W020" in _ids()
    settings.SECURE_CSP = {"default-src": ["'self'"]}
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if not m.endswith("ContentSecurityPolicyMiddleware")
    ]
    assert "shopstack.W020" in _ids()


@pytest.mark.parametrize(
    "policy",
    [
        {"default-src": ["'self'"], "script-src": ["'self'", "'unsafe-inline'"]},
        {"default-src": ["'self'", "'unsafe-eval'"]},
        {"default-src": ["'self'"], "script-src": "*"},
        {"img-src": ["'self'"]},
    ],
)
def test_deploy_check_warns_when_scripts_may_run_from_anywhere(settings, policy):
    settings.SECURE_CSP = policy
    assert "shopstack.W021" in _ids()


def test_deploy_check_warns_without_a_permissions_policy(settings):
    settings.PERMISSIONS_POLICY = {}
    assert "shopstack.W022" in _ids()
