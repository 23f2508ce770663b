"""Checkout API: the steps for a guest app (X-Cart-Token) and a signed-in customer, field
errors in the API's error format with nothing changed, isolation by token, and placing
with an Idempotency-Key (required; a repeat returns the same order; another cart -> 409)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from shopstack.api.tests.conftest import error_of
from shopstack.checkout.models import Cart, Checkout
from shopstack.orders.models import Order
from shopstack.payments.models import Payment
from shopstack.testing.cart import make_cart, signed_token
from shopstack.testing.checkout import ADDRESS, checkout_state, ensure_checkout_data, method
from shopstack.testing.factories import make_product
from shopstack.testing.inventory import stock_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data(db: None) -> None:
    ensure_checkout_data()


@pytest.fixture
def mug(db: None):
    return make_product(name="Enamel mug", price="10.00", stock=5)


class App:
    """A guest app: sends its cart token with every call."""

    def __init__(self, cart: Cart) -> None:
        self.client = Client()
        self.headers = {"X-Cart-Token": signed_token(cart)}

    def call(self, method: str, path: str, body: Any = None, **headers: str):
        send = getattr(self.client, method)
        data = json.dumps(body) if body is not None else None
        return send(
            f"/api/v1{path}", data=data, content_type="application/json", headers={**self.headers, **headers}
        )


def ready(app: App) -> str:
    """Start a checkout and take it to the last step; returns its token."""
    started = app.call("post", "/checkout")
    assert started.status_code == 201, started.content
    token = started.json()["token"]
    assert app.call("put", f"/checkout/{token}/contact", {"email": "app@example.com"}).status_code == 200
    assert app.call("put", f"/checkout/{token}/address", {"shipping": ADDRESS}).status_code == 200
    answer = app.call("put", f"/checkout/{token}/shipping-method", {"method_id": method("uk-standard").pk})
    assert answer.status_code == 200
    return token


def test_guest_app_goes_through_every_step(mug) -> None:
    app = App(make_cart(lines={mug: 2}))
    started = app.call("post", "/checkout")
    assert started.status_code == 201
    body = started.json()
    token = body["token"]
    assert body["status"] == "open"
    assert body["reserved_until"]
    assert body["shipping_options"] == []  # no address yet
    body = app.call("patch", f"/checkout/{token}/address", {"shipping": ADDRESS}).json()
    assert [option["code"] for option in body["shipping_options"]] == ["uk-standard", "uk-express"]
    body = app.call("get", f"/checkout/{token}").json()
    assert body["totals"]["subtotal"] == "20.00"
    assert body["ready"] is False
    token = ready(app)
    body = app.call("get", f"/checkout/{token}").json()
    assert body["ready"] is True
    assert body["totals"] == {
        "currency": "GBP",
        "subtotal": "20.00",
        "discount": "0.00",
        "shipping": "3.95",
        "tax": "3.99",
        "total": "23.95",
        "prices_include_tax": True,
    }
    session = app.call(
        "post", f"/checkout/{token}/payment-session", {"return_url": "http://testserver/app/back"}
    )
    assert session.status_code == 200
    assert f"/_testgateway/pay/{token}" in session.json()["url"]
    placed = app.call(
        "post", f"/checkout/{token}/place", {"payment_token": "tok_success"}, **{"Idempotency-Key": "k-1"}
    )
    assert placed.status_code == 201, placed.content
    order = Order.objects.get()
    assert placed.json() == {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "total": "23.95",
        "currency": "GBP",
    }
    again = app.call(
        "post", f"/checkout/{token}/place", {"payment_token": "tok_success"}, **{"Idempotency-Key": "k-1"}
    )
    assert again.status_code == 200
    assert again.json()["number"] == order.number
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    # The placed checkout stays readable to its buyer.
    assert app.call("get", f"/checkout/{token}").json()["order_number"] == order.number


def test_place_needs_an_idempotency_key(mug) -> None:
    app = App(make_cart(lines={mug: 1}))
    token = ready(app)
    answer = app.call("post", f"/checkout/{token}/place", {"payment_token": "tok_success"})
    assert answer.status_code == 422
    assert "Idempotency-Key" in error_of(answer)["fields"]
    assert not Order.objects.exists()


def test_same_key_for_a_different_cart_is_409(mug) -> None:
    first = App(make_cart(lines={mug: 1}))
    token = ready(first)
    ok = first.call(
        "post", f"/checkout/{token}/place", {"payment_token": "tok_success"}, **{"Idempotency-Key": "shared"}
    )
    assert ok.status_code == 201
    second = App(make_cart(lines={mug: 2}))
    other = ready(second)
    before = stock_snapshot()
    clash = second.call(
        "post", f"/checkout/{other}/place", {"payment_token": "tok_success"}, **{"Idempotency-Key": "shared"}
    )
    assert clash.status_code == 409
    assert error_of(clash)["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert Checkout.objects.get(token=other).status == "open"
    assert stock_snapshot() == before
    # Fixed with a new key, it goes through.
    fresh = second.call(
        "post", f"/checkout/{other}/place", {"payment_token": "tok_success"}, **{"Idempotency-Key": "new"}
    )
    assert fresh.status_code == 201


def test_a_placed_checkout_refuses_another_key(mug) -> None:
    app = App(make_cart(lines={mug: 1}))
    token = ready(app)
    app.call("post", f"/checkout/{token}/place", {"payment_token": "tok_success"}, **{"Idempotency-Key": "a"})
    answer = app.call(
        "post", f"/checkout/{token}/place", {"payment_token": "tok_success"}, **{"Idempotency-Key": "b"}
    )
    assert answer.status_code == 409
    assert error_of(answer)["code"] == "checkout_placed"
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/contact", {"email": "not-an-email"}, "email"),
        ("/address", {"shipping": {**ADDRESS, "country": "UK"}}, "shipping.country"),
        ("/address", {"shipping": {**ADDRESS, "postal_code": ""}}, "shipping.postal_code"),
        ("/address", {"shipping": ADDRESS, "billing": {**ADDRESS, "city": ""}}, "billing.city"),
        ("/shipping-method", {"method_id": 999999}, "shipping_method"),
        ("/voucher", {"code": "NOSUCH"}, "voucher"),
    ],
)
def test_bad_input_is_422_with_the_field_and_changes_nothing(mug, path: str, body: dict, field: str) -> None:
    app = App(make_cart(lines={mug: 1}))
    token = ready(app)
    checkout = Checkout.objects.get(token=token)
    before = checkout_state(checkout)
    answer = app.call("put", f"/checkout/{token}{path}", body)
    assert answer.status_code == 422
    assert field in error_of(answer)["fields"]
    assert checkout_state(checkout) == before


def test_shipping_method_of_another_zone_is_refused(mug) -> None:
    app = App(make_cart(lines={mug: 1}))
    token = ready(app)
    answer = app.call(
        "put", f"/checkout/{token}/shipping-method", {"method_id": method("europe-standard").pk}
    )
    assert answer.status_code == 422
    assert error_of(answer)["fields"]["shipping_method"]


def test_client_sent_amounts_are_ignored(mug) -> None:
    app = App(make_cart(lines={mug: 1}))
    token = ready(app)
    forged = {"total": "0.01", "price": "0.01", "discount": "100", "shipping_price": "0"}
    app.call("put", f"/checkout/{token}/shipping-method", {"method_id": method("uk-standard").pk, **forged})
    placed = app.call(
        "post",
        f"/checkout/{token}/place",
        {"payment_token": "tok_success", **forged},
        **{"Idempotency-Key": "f"},
    )
    assert placed.status_code == 201
    assert placed.json()["total"] == "13.95"
    assert Order.objects.get().total_amount == Decimal("13.95")


def test_empty_cart_and_short_stock_are_refused(mug) -> None:
    assert App(make_cart()).call("post", "/checkout").status_code == 422
    short = App(make_cart(lines={mug: 9}))
    answer = short.call("post", "/checkout")
    assert answer.status_code == 409
    assert error_of(answer)["code"] == "out_of_stock"
    assert not Checkout.objects.exists()


def test_another_clients_checkout_is_404(mug) -> None:
    owner = App(make_cart(lines={mug: 1}))
    token = ready(owner)
    checkout = Checkout.objects.get(token=token)
    before = checkout_state(checkout)
    stranger = App(make_cart(lines={make_product(): 1}))
    user = get_user_model().objects.create_user(email="eve@example.com", password="x" * 20)
    signed_in = Client()
    signed_in.force_login(user)
    for client_call in (
        lambda m, p, b=None, **h: stranger.call(m, p, b, **h),
        lambda m, p, b=None, **h: signed_in.generic(
            m.upper(), f"/api/v1{p}", json.dumps(b) if b else "", content_type="application/json", headers=h
        ),
        lambda m, p, b=None, **h: Client().generic(
            m.upper(), f"/api/v1{p}", json.dumps(b) if b else "", content_type="application/json", headers=h
        ),
    ):
        assert client_call("get", f"/checkout/{token}").status_code == 404
        assert client_call("put", f"/checkout/{token}/contact", {"email": "x@example.com"}).status_code in {
            403,
            404,
        }
        answer = client_call(
            "post", f"/checkout/{token}/place", {"payment_token": "tok_x"}, **{"Idempotency-Key": "z"}
        )
        assert answer.status_code in {403, 404}
    assert checkout_state(checkout) == before
    assert not Order.objects.exists()


def test_signed_in_customer_checks_out_their_own_cart(mug) -> None:
    user = get_user_model().objects.create_user(email="fay@example.com", password="x" * 20)
    make_cart(customer=user, lines={mug: 1})
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/cart/")  # sets the CSRF cookie
    csrf = client.cookies.get("csrftoken")
    assert csrf is not None
    headers = {"X-CSRFToken": csrf.value}
    refused = client.post("/api/v1/checkout", content_type="application/json")
    assert refused.status_code == 403
    started = client.post("/api/v1/checkout", content_type="application/json", headers=headers)
    assert started.status_code == 201
    assert started.json()["email"] == "fay@example.com"
