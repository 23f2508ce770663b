"""The whole checkout through the pages against the real HTTP test gateway: the card is
typed into the gateway's hosted form (never the shop's), the shop gets a token back, the
order is placed and the workflow settles the payment; the status page follows."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from shopstack.checkout.models import Checkout
from shopstack.checkout.tests.test_checkout_pages import Shopper, address_form
from shopstack.orders.models import Order
from shopstack.payments.models import Payment
from shopstack.testing.cart import make_cart
from shopstack.testing.checkout import ensure_checkout_data, method
from shopstack.testing.factories import make_product
from shopstack.testing.orders import ORDER_APPS, wait_until
from shopstack.testing.payments import TEST_CARDS, Browser, GatewayHarness

pytestmark = pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)


def checkout_to_review(shopper: Shopper, card: str) -> tuple[Checkout, str]:
    """Address, delivery and the hosted card form; returns the checkout and the review page."""
    start = shopper.post("/checkout/", {}, page="/checkout/")
    checkout = Checkout.objects.get(token=start["Location"].split("/")[2])
    base = f"/checkout/{checkout.token}"
    assert shopper.post(f"{base}/", address_form(), page=f"{base}/").status_code == 302
    assert shopper.post(f"{base}/shipping/", {"method_id": str(method("uk-standard").pk)}).status_code == 302
    to_gateway = shopper.post(f"{base}/payment/", {}, page=f"{base}/payment/")
    assert to_gateway.status_code == 303
    status, location, body = Browser().submit(to_gateway["Location"], {"card_number": card})
    assert status == 302, body
    back = urllib.parse.urlsplit(location)
    assert back.path == "/checkout/payment/return/"
    assert card not in location  # only a token comes back
    review_redirect = shopper.get(f"{back.path}?{back.query}")
    assert review_redirect["Location"] == f"{base}/review/"
    return checkout, shopper.get(f"{base}/review/").content.decode()


def place(shopper: Shopper, checkout: Checkout, review: str) -> str:
    key = re.search(r'name="idempotency_key" value="([^"]+)"', review).group(1)
    response = shopper.post(f"/checkout/{checkout.token}/place/", {"idempotency_key": key})
    assert response.status_code == 302
    return response["Location"]


@pytest.fixture
def shopper(live_gateway: GatewayHarness) -> Shopper:
    ensure_checkout_data()
    shopper = Shopper()
    shopper.hold(make_cart(lines={make_product(name="Enamel mug", price="10.00", stock=5): 2}))
    return shopper


def test_card_success_confirms_the_order(shopper: Shopper) -> None:
    checkout, review = checkout_to_review(shopper, TEST_CARDS["success"])
    assert "ending 4242" in review
    status_url = place(shopper, checkout, review)
    order = Order.objects.get()
    assert Checkout.objects.get(pk=checkout.pk).payment_token.startswith("tok_")
    assert wait_until(lambda: Order.objects.get(pk=order.pk).payment_status == "authorized")
    page = shopper.get(status_url).content.decode()
    assert "Order confirmed" in page
    assert "every 2s" not in page
    assert Payment.objects.filter(ref=order.payment_ref).count() == 1


def test_declined_card_offers_another_card(shopper: Shopper) -> None:
    checkout, review = checkout_to_review(shopper, TEST_CARDS["decline"])
    status_url = place(shopper, checkout, review)
    order = Order.objects.get()
    assert wait_until(lambda: Order.objects.get(pk=order.pk).payment_status == "failed")
    page = shopper.get(status_url).content.decode()
    assert "Try another card" in page
    retry = shopper.post(f"{status_url}retry/", {}, page=status_url)
    assert retry.status_code == 302
    assert retry["Location"].endswith("/payment/")


def test_action_required_links_to_the_gateway_challenge(shopper: Shopper) -> None:
    checkout, review = checkout_to_review(shopper, TEST_CARDS["action_required"])
    status_url = place(shopper, checkout, review)
    order = Order.objects.get()
    assert wait_until(lambda: Order.objects.get(pk=order.pk).payment_status == "action_required")
    page = shopper.get(status_url).content.decode()
    action_url = Payment.objects.get(ref=order.payment_ref).action_url
    assert action_url
    assert f'href="{action_url}"' in page
    assert "every 2s" in page
