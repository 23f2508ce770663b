"""Test helpers for payments: the built-in test gateway served by pytest-django's live
server, and a tiny "browser" that fills in the gateway's pages over real HTTP.

Nothing here fakes the shop's code: the shop's gateway client talks HTTP to the gateway
service, which answers from its own ledger, exactly as in the demo.
"""

from __future__ import annotations

import hashlib
import hmac
import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shopstack.core.backends import load_backend
from shopstack.payments.backends.base import PaymentGateway
from shopstack.payments.testgateway.ledger import HeldRequests, held_requests

API_KEY = "sk_test_shopstack_tests"
WEBHOOK_SECRET = "whsec_shopstack_tests"
# Seconds the shop waits for the gateway: generous, so that a busy machine answering a
# good card slowly is never mistaken for a gateway timeout.
CLIENT_TIMEOUT = 30.0
# The wait in tests that use a slow card ("timeout", "late"), which the gateway holds back
# until the test releases it: every such test lasts this long, yet it must stay well above
# the other calls' answer times on a busy machine (lookups made with the same client).
SLOW_CARD_CLIENT_TIMEOUT = 5.0
# The longest the gateway holds a slow card's request if no test releases it.
SLOW_SECONDS = 600.0
# How long a released request may take to finish its work.
RELEASE_TIMEOUT = 120.0

# Transactional tests (the live server shares the database) that flush only what payments
# touch: a whole-database flush trips over tables other contexts create outside migrations.
PAYMENT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "shopstack.accounts",
    "shopstack.core",
    "shopstack.payments",
    "django_tasks_db",
]
PAYMENT_DB = pytest.mark.django_db(transaction=True, available_apps=PAYMENT_APPS)

TEST_CARDS = {
    "success": "4242424242424242",
    "decline": "4000000000000002",
    "insufficient_funds": "4000000000009995",
    "action_required": "4000000000003220",
    "timeout": "4000000000000119",
    "late": "4000000000000127",
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Browser:
    """Just enough of a browser for the gateway's pages: cookies, CSRF token, no redirects."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=CLIENT_TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def submit(self, url: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """GET the page, POST its form with `fields` added; returns (status, Location, body)."""
        status, page = self.get(url)
        assert status == 200, page
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
        data = urllib.parse.urlencode({**hidden, **fields}).encode()
        request = urllib.request.Request(url, data=data, method="POST")
        try:
            with self.opener.open(request, timeout=CLIENT_TIMEOUT) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


@dataclass
class GatewayHarness:
    """One gateway backend under test, with what the tests need to drive its provider side."""

    backend: PaymentGateway
    shop_url: str
    token_prefix = "tok_"  # what the hosted form's tokens look like
    form_reports_last4 = True
    slow_outcomes = frozenset({"timeout", "late"})

    @property
    def held(self) -> HeldRequests:
        """The slow cards' requests the gateway is holding back."""
        return held_requests

    def release_held(self) -> None:
        """Let the gateway answer (or, for `late`, act on) the requests it is holding back,
        and wait until they are done."""
        self.held.release(timeout=RELEASE_TIMEOUT)

    def finish(self) -> None:
        """Release what the gateway is still holding back, so no request outlives its test."""
        self.release_held()

    def expect_slow_answers(self) -> None:
        """The shop gives up on the gateway after SLOW_CARD_CLIENT_TIMEOUT, not CLIENT_TIMEOUT."""
        self.backend.timeout = SLOW_CARD_CLIENT_TIMEOUT

    def card_token(self, card_number: str, *, session_ref: str = "sess_1") -> str:
        """Fill in the hosted form like a customer; the shop only ever gets the token back."""
        url = self.backend.hosted_form_url(
            session_ref=session_ref, return_url=f"{self.shop_url}/checkout/back"
        )
        status, location, body = Browser().submit(url, {"card_number": card_number})
        assert status == 302, body
        return query_of(location)["token"]

    def token(self, outcome: str) -> str:
        """A token for the test card with this outcome; a slow card also shortens the shop's
        wait for the gateway (see SLOW_CARD_CLIENT_TIMEOUT)."""
        if outcome in self.slow_outcomes:
            self.expect_slow_answers()
        return self.card_token(TEST_CARDS[outcome])

    def complete_challenge(self, action_url: str, *, approve: bool) -> str:
        """Press a button on the challenge page; returns where the gateway sent the browser."""
        status, location, body = Browser().submit(action_url, {"decision": "approve" if approve else "fail"})
        assert status in {200, 302}, body  # 200: no return_url, the gateway shows the result itself
        return location

    def event_body(self, *, event_id: str, authorized: bool, reference: str) -> bytes:
        """A webhook body as this gateway sends it: a charge authorized (or failed)."""
        kind = "charge.authorized" if authorized else "charge.failed"
        return json.dumps({"id": event_id, "type": kind, "data": {"id": reference}}).encode()

    def signed(
        self, body: bytes, *, timestamp: int | None = None, secret: str = WEBHOOK_SECRET
    ) -> dict[str, str]:
        stamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Shopstack-Test-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


def configure_test_gateway(settings: Any, base: str) -> PaymentGateway:
    settings.TEST_GATEWAY = {
        "API_KEY": API_KEY,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "SLOW_SECONDS": SLOW_SECONDS,
    }
    settings.PAYMENT_GATEWAY = {
        "BACKEND": "shopstack.payments.backends.testgateway.LocalTestGateway",
        "OPTIONS": {
            "base_url": f"{base}/_testgateway/",
            "api_key": API_KEY,
            "webhook_secret": WEBHOOK_SECRET,
            "webhook_url": f"{base}/payments/webhooks/testgateway/",
            "timeout": CLIENT_TIMEOUT,
        },
    }
    load_backend.cache_clear()
    return load_backend("PAYMENT_GATEWAY")


@pytest.fixture
def live_gateway(live_server: Any, settings: Any) -> Iterator[GatewayHarness]:
    """The test gateway service on the live server, and the shop configured to use it."""
    harness = GatewayHarness(
        backend=configure_test_gateway(settings, live_server.url), shop_url=live_server.url
    )
    yield harness
    harness.finish()
    load_backend.cache_clear()
