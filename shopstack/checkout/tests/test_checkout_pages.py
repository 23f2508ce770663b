"""Checkout pages without JavaScript: each step, refusals beside the control with nothing
changed, CSRF, other shoppers' checkouts and orders, the place form's idempotency key,
client-sent prices ignored, and the order status page for each payment outcome."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shopstack.checkout.models import Cart, Checkout
from shopstack.checkout.web import CART_SESSION_KEY
from shopstack.orders.models import Order
from shopstack.payments.models import Payment
from shopstack.testing.cart import make_cart, signed_token
from shopstack.testing.checkout import ADDRESS, checkout_state, ensure_checkout_data, make_checkout, method
from shopstack.testing.factories import make_product
from shopstack.testing.inventory import stock_snapshot

pytestmark = pytest.mark.django_db


class Shopper:
    """A browser without JavaScript: cookies, and the CSRF token of the last page it saw."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.csrf = ""

    def get(self, url: str, **extra: str):
        response = self.client.get(url, **extra)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
        if found:
            self.csrf = found.group(1).decode()
        return response

    def post(self, url: str, data: dict[str, str], *, page: str | None = None):
        if page is not None or not self.csrf:
            self.get(page or url)
        return self.client.post(url, {"csrfmiddlewaretoken": self.csrf, **data})

    def hold(self, cart: Cart) -> None:
        session = self.client.session
        session[CART_SESSION_KEY] = signed_token(cart)
        session.save()


def address_form(**change: str) -> dict[str, str]:
    data = {f"shipping-{name}": value for name, value in ADDRESS.items()}
    return {"email": "guest@example.com", "billing_same": "on", **data, **change}


@pytest.fixture(autouse=True)
def _data(db: None) -> None:
    ensure_checkout_data()


@pytest.fixture
def mug(db: None):
    return make_product(name="Enamel mug", price="10.00", stock=5)


@pytest.fixture
def shopper(mug) -> Shopper:
    shopper = Shopper()
    shopper.hold(make_cart(lines={mug: 2}))
    return shopper


def start(shopper: Shopper) -> Checkout:
    response = shopper.post("/checkout/", {}, page="/checkout/")
    assert response.status_code == 302, response.content[:500]
    return Checkout.objects.get(token=response["Location"].split("/")[2])


def test_steps_without_javascript_to_the_order_page(shopper: Shopper, mug) -> None:
    page = shopper.get("/checkout/")
    assert b"Continue to checkout" in page.content
    checkout = start(shopper)
    base = f"/checkout/{checkout.token}"
    response = shopper.post(f"{base}/", address_form(), page=f"{base}/")
    assert response.status_code == 302
    assert response["Location"] == f"{base}/shipping/"
    page = shopper.get(f"{base}/shipping/")
    assert b"Standard" in page.content
    assert b"\xc2\xa33.95" in page.content  # £3.95
    response = shopper.post(f"{base}/shipping/", {"method_id": str(method("uk-express").pk)})
    assert response["Location"] == f"{base}/payment/"
    response = shopper.post(f"{base}/payment/", {}, page=f"{base}/payment/")
    assert response.status_code == 303
    assert "/_testgateway/pay/" in response["Location"]
    assert f"pay/{checkout.token}" in response["Location"]
    response = shopper.get(
        f"/checkout/payment/return/?session={checkout.token}&token=tok_success&last4=4242&brand=visa"
    )
    assert response["Location"] == f"{base}/review/"
    review = shopper.get(f"{base}/review/")
    assert b"ending 4242" in review.content
    assert b"\xc2\xa329.95" in review.content  # 2 x 10.00 + 9.95 express
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', review.content).group(1).decode()
    response = shopper.post(f"{base}/place/", {"idempotency_key": key})
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == f"/checkout/orders/{order.number}/"
    assert order.total_amount == Decimal("29.95")
    assert order.email == "guest@example.com"
    assert Checkout.objects.get(pk=checkout.pk).status == Checkout.Status.PLACED
    assert Cart.objects.get(pk=checkout.cart_id).status == Cart.Status.CONVERTED
    status = shopper.get(response["Location"])
    assert status.status_code == 200
    assert order.number.encode() in status.content
    assert b'http-equiv="refresh"' in status.content  # payment still in progress
    assert b'hx-trigger="every 2s"' in status.content


def test_double_submit_and_refresh_of_place_give_one_order(shopper: Shopper) -> None:
    checkout = make_checkout(lines=None, payment_token="tok_success")
    shopper.hold(checkout.cart)
    base = f"/checkout/{checkout.token}"
    review = shopper.get(f"{base}/review/")
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', review.content).group(1).decode()
    assert (
        re.search(rb'name="idempotency_key" value="([^"]+)"', shopper.get(f"{base}/review/").content)
        .group(1)
        .decode()
        == key
    ), "a second render keeps the key"
    first = shopper.post(f"{base}/place/", {"idempotency_key": key})
    second = shopper.post(f"{base}/place/", {"idempotency_key": key})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1


def test_client_sent_prices_are_ignored(shopper: Shopper) -> None:
    checkout = make_checkout(payment_token="tok_success")
    shopper.hold(checkout.cart)
    base = f"/checkout/{checkout.token}"
    review = shopper.get(f"{base}/review/")
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', review.content).group(1).decode()
    forged = {"total": "0.01", "price": "0.01", "discount": "999", "shipping_price": "0", "subtotal": "0.01"}
    shopper.post(f"{base}/shipping/", {"method_id": str(method("uk-standard").pk), **forged})
    response = shopper.post(f"{base}/place/", {"idempotency_key": key, **forged})
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total_amount == Decimal("23.95")
    assert order.discount_amount == Decimal("0.00")


def test_bad_address_is_400_beside_the_control_and_changes_nothing(shopper: Shopper) -> None:
    checkout = start(shopper)
    base = f"/checkout/{checkout.token}/"
    before = checkout_state(checkout)
    response = shopper.post(base, address_form(**{"shipping-postal_code": "", "email": "nope"}), page=base)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="shipping-postal_code-error"' in html
    assert "This field is required." in html
    assert 'id="email-error"' in html
    assert 'value="nope"' in html  # what was typed comes back
    assert checkout_state(checkout) == before


def test_bad_shipping_choice_is_400_and_changes_nothing(shopper: Shopper) -> None:
    checkout = make_checkout(address=ADDRESS, shipping=None)
    shopper.hold(checkout.cart)
    base = f"/checkout/{checkout.token}/shipping/"
    response = shopper.post(base, {"method_id": str(method("europe-standard").pk)}, page=base)
    assert response.status_code == 400
    assert b'id="method-error"' in response.content
    assert Checkout.objects.get(pk=checkout.pk).shipping_method_id is None


def test_bad_voucher_is_400_beside_the_field(shopper: Shopper) -> None:
    checkout = make_checkout(payment_token="tok_success")
    shopper.hold(checkout.cart)
    base = f"/checkout/{checkout.token}"
    response = shopper.post(f"{base}/voucher/", {"code": "NOSUCH"}, page=f"{base}/review/")
    assert response.status_code == 400
    assert b'id="voucher-error"' in response.content
    assert b"We don&#x27;t recognise this voucher code" in response.content
    assert Checkout.objects.get(pk=checkout.pk).voucher_code == ""


def test_card_number_in_the_return_url_is_refused(shopper: Shopper) -> None:
    checkout = make_checkout()
    shopper.hold(checkout.cart)
    response = shopper.get(f"/checkout/payment/return/?session={checkout.token}&token=4242424242424242")
    assert response.status_code == 400
    assert Checkout.objects.get(pk=checkout.pk).payment_token == ""


def test_csrf_missing_is_403_and_changes_nothing(shopper: Shopper) -> None:
    checkout = make_checkout(payment_token="tok_success")
    shopper.hold(checkout.cart)
    base = f"/checkout/{checkout.token}"
    before, stock = checkout_state(checkout), stock_snapshot()
    for url, data in [
        ("/checkout/", {}),
        (f"{base}/", address_form(email="changed@example.com")),
        (f"{base}/shipping/", {"method_id": str(method("uk-express").pk)}),
        (f"{base}/voucher/", {"code": "X"}),
        (f"{base}/place/", {"idempotency_key": "k1"}),
    ]:
        assert shopper.client.post(url, data).status_code == 403, url
    assert checkout_state(checkout) == before
    assert stock_snapshot() == stock
    assert not Order.objects.exists()


def test_another_shoppers_checkout_is_404(shopper: Shopper, mug) -> None:
    theirs = make_checkout(payment_token="tok_success")
    user = get_user_model().objects.create_user(email="dee@example.com", password="x" * 20)
    make_cart(customer=user, lines={mug: 1})  # so /checkout/ shows a form (and a CSRF token)
    signed_in = Shopper()
    signed_in.client.force_login(user)
    before = checkout_state(theirs)
    for visitor in (shopper, signed_in):
        base = f"/checkout/{theirs.token}"
        for url in (f"{base}/", f"{base}/shipping/", f"{base}/payment/", f"{base}/review/"):
            assert visitor.get(url).status_code == 404, url
        assert b"csrfmiddlewaretoken" in visitor.get("/checkout/").content
        assert visitor.post(f"{base}/", address_form()).status_code == 404
        assert visitor.post(f"{base}/place/", {"idempotency_key": "k"}).status_code == 404
        assert (
            visitor.get(f"/checkout/payment/return/?session={theirs.token}&token=tok_decline").status_code
            == 404
        )
    assert checkout_state(theirs) == before


def test_order_status_is_for_the_buyer_only(shopper: Shopper) -> None:
    checkout = make_checkout(payment_token="tok_success")
    shopper.hold(checkout.cart)
    review = shopper.get(f"/checkout/{checkout.token}/review/")
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', review.content).group(1).decode()
    location = shopper.post(f"/checkout/{checkout.token}/place/", {"idempotency_key": key})["Location"]
    assert shopper.get(location).status_code == 200
    assert Shopper().get(location).status_code == 404
    assert Shopper().get("/checkout/orders/NOSUCH/").status_code == 404


@pytest.mark.parametrize(
    ("payment_status", "expected", "polling"),
    [
        ("pending", b"confirming the payment", True),
        ("action_required", b"Confirm with your bank", True),
        ("failed", b"Try another card", False),
        ("authorized", b"Order confirmed", False),
    ],
)
def test_order_status_phases(shopper: Shopper, payment_status: str, expected: bytes, polling: bool) -> None:
    checkout = make_checkout(payment_token="tok_success")
    shopper.hold(checkout.cart)
    review = shopper.get(f"/checkout/{checkout.token}/review/")
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', review.content).group(1).decode()
    location = shopper.post(f"/checkout/{checkout.token}/place/", {"idempotency_key": key})["Location"]
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(payment_status=payment_status)
    Payment.objects.filter(ref=order.payment_ref).update(action_url="http://gateway.example/challenge/ch_1")
    page = shopper.get(location)
    assert expected in page.content
    assert (b"every 2s" in page.content) is polling
    fragment = shopper.get(location, HTTP_HX_REQUEST="true")
    assert fragment.content.lstrip().startswith(b'<div id="order-status"')
    if payment_status == "action_required":
        assert b'href="http://gateway.example/challenge/ch_1"' in page.content


def test_failed_payment_offers_a_new_checkout_from_the_same_items(shopper: Shopper, mug) -> None:
    checkout = make_checkout(lines={mug: 2}, payment_token="tok_decline")
    shopper.hold(checkout.cart)
    review = shopper.get(f"/checkout/{checkout.token}/review/")
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', review.content).group(1).decode()
    location = shopper.post(f"/checkout/{checkout.token}/place/", {"idempotency_key": key})["Location"]
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(payment_status="failed")
    response = shopper.post(f"{location}retry/", {}, page=location)
    assert response.status_code == 302
    fresh = Checkout.objects.exclude(pk=checkout.pk).get()
    assert response["Location"] == f"/checkout/{fresh.token}/payment/"
    assert fresh.shipping_address == checkout.shipping_address
    assert fresh.shipping_method_id == checkout.shipping_method_id
    assert [(line.variant_id, line.quantity) for line in fresh.cart.lines.all()] == [
        (mug.variants.get().pk, 2)
    ]
    assert shopper.get(response["Location"]).status_code == 200
