"""The built-in test gateway sends the shopper back to an app link scheme the shop
registered (PAYMENT_RETURN_SCHEMES), after the card form and after the 3-D Secure style
check, and to no other scheme. Over real HTTP, on the live server."""

from decimal import Decimal

import pytest

from shopstack.payments.backends.base import GatewayStatus
from shopstack.testing.payments import PAYMENT_DB, TEST_CARDS, Browser, query_of

pytestmark = PAYMENT_DB


@pytest.fixture(autouse=True)
def _app_scheme(settings):
    settings.PAYMENT_RETURN_SCHEMES = ["myapp"]


def test_the_card_form_redirects_to_a_registered_app_scheme(live_gateway):
    url = live_gateway.backend.hosted_form_url(session_ref="s1", return_url="myapp://checkout/paid?x=1")
    status, location, body = Browser().submit(url, {"card_number": TEST_CARDS["success"]})
    assert status == 302, body
    assert location.startswith("myapp://checkout/paid?x=1&")
    back = query_of(location)
    assert back["session"] == "s1"
    assert back["token"].startswith("tok_")


def test_the_card_form_refuses_a_scheme_the_shop_did_not_register(live_gateway):
    # Signed with the shop's key, so only the scheme can be what refuses it.
    url = live_gateway.backend.hosted_form_url(session_ref="s1", return_url="otherapp://checkout/paid")
    status, body = Browser().get(url)
    assert status == 400
    assert "not valid" in body


def test_the_challenge_redirects_to_a_registered_app_scheme(live_gateway):
    result = live_gateway.backend.authorize(
        amount=Decimal("25.00"),
        currency="GBP",
        token=live_gateway.token("action_required"),
        idempotency_key="app-scheme-challenge",
        return_url="myapp://checkout/secure",
    )
    assert result.status == GatewayStatus.ACTION_REQUIRED
    location = live_gateway.complete_challenge(result.action_url, approve=True)
    assert location.startswith("myapp://checkout/secure?")
    assert query_of(location) == {"charge": result.reference, "status": "authorized"}
