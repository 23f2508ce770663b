"""The client address every per-client limit counts: REMOTE_ADDR unless the shop says how
many proxies stand in front (TRUSTED_PROXY_COUNT); a forged X-Forwarded-For buys nothing."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.core import checks
from django.test import RequestFactory

from shopstack.api.tests.test_auth_throttling import clock  # noqa: F401  (holds the throttle's clock)
from shopstack.core.checks import check_shared_limits
from shopstack.core.clients import client_address


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        (0, "203.0.113.5", None, "203.0.113.5"),
        (0, "203.0.113.5", "198.51.100.1", "203.0.113.5"),  # no proxy: the header is the client's own
        (1, "10.0.0.1", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # a forged entry left of the proxy's
        (2, "10.0.0.2", "6.6.6.6, 198.51.100.1, 10.0.0.1", "198.51.100.1"),
        (2, "10.0.0.2", "198.51.100.1", "10.0.0.2"),  # fewer entries than proxies: not through them all
        (1, "10.0.0.1", "not an address", "unknown"),
        (0, "2001:db8:1:2:aaaa::1", None, "2001:db8:1:2::/64"),
        (0, "::ffff:203.0.113.5", None, "203.0.113.5"),
    ],
)
def test_client_address(settings, proxies: int, remote: str, forwarded: str | None, client: str) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(request_from(remote, forwarded)) == client


def test_one_ipv6_subscriber_is_one_client(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request_from("2001:db8:1:2::1")) == client_address(
        request_from("2001:db8:1:2:ffff::9")
    )
    assert client_address(request_from("2001:db8:1:2::1")) != client_address(request_from("2001:db8:1:3::1"))


def test_sign_in_limits_count_the_same_address(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert get_adapter().get_client_ip(request_from("203.0.113.5", "1.2.3.4")) == "203.0.113.5"
    settings.TRUSTED_PROXY_COUNT = 1
    assert get_adapter().get_client_ip(request_from("10.0.0.1", "1.2.3.4")) == "1.2.3.4"


@pytest.mark.django_db
def test_forged_forwarded_for_shares_one_api_allowance(client, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    settings.API_THROTTLE_ANON = "3/m"
    statuses = [
        client.get("/api/v1/categories", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(client, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    settings.API_THROTTLE_ANON = "2/m"

    def status(forwarded: str) -> int:
        return client.get(
            "/api/v1/categories", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    assert [status("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert status("198.51.100.2") == 200
    # What the client writes left of the proxy's entry changes nothing.
    assert status("9.9.9.9, 198.51.100.1") == 429


def deploy_check_ids() -> set[str]:
    return {message.id for message in checks.run_checks(include_deployment_checks=True, tags=["security"])}


def test_deploy_check_flags_a_per_process_default_cache(settings) -> None:
    assert "shopstack.E001" not in deploy_check_ids()
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    assert "shopstack.E001" in deploy_check_ids()


def test_deploy_check_flags_a_proxy_without_a_trusted_count(settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_COUNT = 0
    assert "shopstack.W003" in deploy_check_ids()
    settings.TRUSTED_PROXY_COUNT = 1
    assert "shopstack.W003" not in deploy_check_ids()


def test_deploy_check_flags_per_machine_counters_beside_a_database_server(settings) -> None:
    settings.RATE_COUNTERS = {"BACKEND": "shopstack.core.counters.sqlite_file.SqliteFileCounters"}
    on_sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    assert ("shopstack.W002" in {m.id for m in check_shared_limits()}) is not on_sqlite
