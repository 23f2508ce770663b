"""`manage.py check --deploy`: payment settings a production shop must not leave unsafe.

The prod profile already refuses to load without PAYMENT_GATEWAY_BACKEND (and refuses the
test gateway unless TEST_GATEWAY_ENABLED=1 too); these checks say the same of any other
settings module, and flag what is allowed but should be a conscious choice.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from shopstack.payments.services import payment_return_origin

# Schemes a browser (or the OS) opens as something other than an app of the shop's own.
NOT_APP_SCHEMES = frozenset(
    {"http", "https", "ftp", "ws", "wss", "file", "data", "javascript", "vbscript", "blob", "about"}
)
SCHEME_SYNTAX = re.compile(r"[a-z][a-z0-9+.-]*")  # RFC 3986, section 3.1
HOST_SYNTAX = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+")  # a name, an IPv4 or an (unbracketed) IPv6 address
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _uses_test_gateway() -> bool:
    return settings.PAYMENT_GATEWAY["BACKEND"] == settings.TEST_GATEWAY_BACKEND


@register(Tags.security, deploy=True)
def check_payment_gateway(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if _uses_test_gateway() and not settings.TEST_GATEWAY_ENABLED:
        found.append(
            Error(
                "Payments go to the built-in test gateway, which accepts test cards and charges nothing.",
                hint="Set PAYMENT_GATEWAY_BACKEND to a real gateway (e.g. "
                "shopstack.payments.backends.stripe.StripeGateway). For a demo or staging shop, "
                "name the test gateway there and set TEST_GATEWAY_ENABLED=1.",
                id="shopstack.E010",
            )
        )
    elif _uses_test_gateway():
        found.append(
            Warning(
                "Payments go to the built-in test gateway (enabled by TEST_GATEWAY_ENABLED): "
                "it accepts the card 4242 4242 4242 4242 and charges nothing.",
                hint="Right for a demo or staging shop only; there, silence shopstack.W010.",
                id="shopstack.W010",
            )
        )
    elif settings.TEST_GATEWAY_ENABLED:
        found.append(
            Warning(
                "TEST_GATEWAY_ENABLED serves the built-in test gateway at /_testgateway/, "
                "although payments go to another gateway.",
                hint="Unset TEST_GATEWAY_ENABLED.",
                id="shopstack.W011",
            )
        )
    options = settings.PAYMENT_GATEWAY.get("OPTIONS", {})
    test_keys = {settings.TEST_GATEWAY["API_KEY"], settings.TEST_GATEWAY["WEBHOOK_SECRET"], ""}
    if not _uses_test_gateway() and (
        options.get("api_key", "") in test_keys or options.get("webhook_secret", "") in test_keys
    ):
        found.append(
            Error(
                "The payment gateway's secret key or webhook secret is not set: the test gateway's "
                "stand-ins are used.",
                hint="Set PAYMENT_GATEWAY_API_KEY and PAYMENT_GATEWAY_WEBHOOK_SECRET to the gateway's.",
                id="shopstack.E011",
            )
        )
    return found


@register(Tags.security, deploy=True)
def check_payment_return_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    for scheme in settings.PAYMENT_RETURN_SCHEMES:
        if not SCHEME_SYNTAX.fullmatch(scheme.lower()) or scheme.lower() in NOT_APP_SCHEMES:
            found.append(
                Error(
                    f"PAYMENT_RETURN_SCHEMES lists {scheme!r}, which is not an app link scheme: a "
                    "payment could send the shopper's card token to any page opened through it.",
                    hint="List only your apps' own schemes (e.g. myapp); web origins go in "
                    "PAYMENT_RETURN_ORIGINS.",
                    id="shopstack.E012",
                )
            )
    for origin in settings.PAYMENT_RETURN_ORIGINS:
        if not _is_origin(origin):
            found.append(
                Error(
                    f"PAYMENT_RETURN_ORIGINS lists {origin!r}, which is not an origin.",
                    hint="Write each as scheme://host[:port], e.g. https://shop.example.com.",
                    id="shopstack.E013",
                )
            )
        elif urlsplit(origin).scheme.lower() == "http" and urlsplit(origin).hostname not in LOOPBACK_HOSTS:
            found.append(
                Warning(
                    f"PAYMENT_RETURN_ORIGINS lists {origin!r}: card tokens would travel to it unencrypted.",
                    hint="Use https:// origins (SHOP_BASE_URL and CSRF_TRUSTED_ORIGINS are the default).",
                    id="shopstack.W012",
                )
            )
    return found


def _is_origin(entry: str) -> bool:
    """scheme://host[:port] of http(s), and nothing more (a trailing slash is forgiven)."""
    try:
        parts = urlsplit(entry)
    except ValueError:
        return False
    bare = parts.path in {"", "/"} and not parts.query and not parts.fragment
    # No wildcards: a return URL's origin is matched exactly.
    return (
        bare
        and HOST_SYNTAX.fullmatch(parts.hostname or "") is not None
        and payment_return_origin(entry) is not None
    )
