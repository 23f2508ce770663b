import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import pytest

from shopstack.core.backends import load_backend
from shopstack.payments.testgateway.ledger import HeldRequests
from shopstack.payments.tests.fake_stripe import FakeStripe
from shopstack.testing.payments import (  # noqa: F401
    CLIENT_TIMEOUT,
    SLOW_SECONDS,
    WEBHOOK_SECRET,
    GatewayHarness,
    configure_test_gateway,
    live_gateway,
)

STRIPE_KEY = "sk_test_shopstack_fake_stripe"
STRIPE_METHODS = {
    "success": "pm_card_visa",
    "decline": "pm_card_chargeDeclined",
    "insufficient_funds": "pm_card_chargeDeclinedInsufficientFunds",
    "action_required": "pm_card_threeDSecureRequired",
    "timeout": "pm_card_shopstack_slow",
}


@dataclass
class StripeHarness(GatewayHarness):
    """The StripeGateway against the fake Stripe server."""

    fake: FakeStripe | None = None
    token_prefix = "cs_"
    form_reports_last4 = False  # Stripe's Checkout sends back only the session id

    @property
    def held(self) -> HeldRequests:
        assert self.fake is not None
        return self.fake.held

    def token(self, outcome: str) -> str:
        if outcome in self.slow_outcomes:
            self.expect_slow_answers()
        return STRIPE_METHODS[outcome]

    def event_body(self, *, event_id: str, authorized: bool, reference: str) -> bytes:
        kind = "payment_intent.amount_capturable_updated" if authorized else "payment_intent.payment_failed"
        status = "requires_capture" if authorized else "requires_payment_method"
        intent = {"id": reference, "object": "payment_intent", "status": status, "metadata": {}}
        return json.dumps({"id": event_id, "type": kind, "data": {"object": intent}}).encode()

    def signed(
        self, body: bytes, *, timestamp: int | None = None, secret: str = WEBHOOK_SECRET
    ) -> dict[str, str]:
        stamp = int(time.time()) if timestamp is None else timestamp
        digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        return {"Stripe-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


@pytest.fixture
def fake_stripe():
    fake = FakeStripe(api_key=STRIPE_KEY, slow_seconds=SLOW_SECONDS).start()
    yield fake
    fake.stop()


def configure_stripe(settings, fake: FakeStripe):
    settings.PAYMENT_GATEWAY = {
        "BACKEND": "shopstack.payments.backends.stripe.StripeGateway",
        "OPTIONS": {
            "base_url": fake.url,
            "api_key": STRIPE_KEY,
            "webhook_secret": WEBHOOK_SECRET,
            "timeout": CLIENT_TIMEOUT,
            "retry_backoff": 0.05,
        },
    }
    load_backend.cache_clear()
    return load_backend("PAYMENT_GATEWAY")


@pytest.fixture
def stripe_gateway(settings, fake_stripe):
    harness = StripeHarness(
        backend=configure_stripe(settings, fake_stripe), shop_url="http://shop.test", fake=fake_stripe
    )
    yield harness
    harness.finish()
    load_backend.cache_clear()


@pytest.fixture(params=["testgateway", "stripe"])
def gateway(request, settings):
    """Every gateway backend the contract suite runs against (each reached over real HTTP)."""
    if request.param == "stripe":
        yield request.getfixturevalue("stripe_gateway")
        return
    live_server = request.getfixturevalue("live_server")
    harness = GatewayHarness(
        backend=configure_test_gateway(settings, live_server.url), shop_url=live_server.url
    )
    yield harness
    harness.finish()
    load_backend.cache_clear()
