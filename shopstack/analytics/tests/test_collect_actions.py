"""What visitors do, declared by the views and the API: cart, checkout steps, the order
placed (which ties a session to revenue), sign-up and login."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from shopstack.accounts.tests.conftest import PASSWORD, make_user
from shopstack.analytics.schema import CHECKOUT_STEPS, Channel, Kind
from shopstack.analytics.tests.conftest import PHONE, recorded
from shopstack.analytics.values import derived_event_id
from shopstack.checkout.models import Checkout
from shopstack.orders.models import Order
from shopstack.testing.cart import variant_of
from shopstack.testing.checkout import ADDRESS, ensure_checkout_data, method
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db) -> list[Any]:
    ensure_checkout_data()
    return [make_product(name=f"Lamp {n}", price="10.00", stock=50) for n in range(2)]


def _kinds(*kinds: str) -> list[dict[str, Any]]:
    return [row for row in recorded() if row["kind"] in kinds]


def test_cart_changes_on_the_pages_record_units_added_and_taken_away(browser, products):
    lamp = products[0]
    variant = variant_of(lamp)
    browser.get(f"/p/{lamp.slug}/")
    browser.post("/cart/add/", {"variant_id": variant.pk, "quantity": "3"})
    browser.post("/cart/update/", {"variant_id": variant.pk, "quantity": "1"})
    browser.post("/cart/update/", {"variant_id": variant.pk, "quantity": "4"})
    browser.post("/cart/remove/", {"variant_id": variant.pk})

    changes = [
        (
            row["kind"],
            row["product_id"],
            row["variant_id"],
            row["quantity"],
            row["value_minor"],
            row["currency"],
        )
        for row in _kinds(Kind.CART_ADD, Kind.CART_REMOVE)
    ]
    assert changes == [
        (Kind.CART_ADD, lamp.pk, variant.pk, 3, 3000, "GBP"),
        (Kind.CART_REMOVE, lamp.pk, variant.pk, 2, 2000, "GBP"),
        (Kind.CART_ADD, lamp.pk, variant.pk, 3, 3000, "GBP"),
        (Kind.CART_REMOVE, lamp.pk, variant.pk, 4, 4000, "GBP"),
    ]
    sessions = {row["session_id"] for row in recorded()}
    assert len(sessions) == 1


def test_a_refused_cart_change_records_nothing(browser, products):
    variant = variant_of(products[0])
    refused = browser.post("/cart/add/", {"variant_id": variant.pk, "quantity": "5000"})

    assert refused.status_code == 400
    assert _kinds(Kind.CART_ADD) == []


def _csrf(response: Any) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert found, response.content[:300]
    return found.group(1).decode()


def test_the_checkout_pages_record_each_step_and_the_order_placed_in_the_same_session(browser, products):
    variant = variant_of(products[0])
    browser.post("/cart/add/", {"variant_id": variant.pk, "quantity": "2"})
    browser.get("/checkout/")
    assert browser.post("/checkout/").status_code == 302
    checkout = Checkout.objects.get(status=Checkout.Status.OPEN)
    base = f"/checkout/{checkout.token}"
    browser.get(f"{base}/")
    form = {"email": "shopper@example.com", "billing_same": "on"}
    form |= {f"shipping-{name}": value for name, value in ADDRESS.items()}
    assert browser.post(f"{base}/", form).status_code == 302
    browser.get(f"{base}/shipping/")
    browser.post(f"{base}/shipping/", {"method_id": str(method("uk-standard").pk)})
    browser.get(f"{base}/payment/")
    browser.get(f"/checkout/payment/return/?session={checkout.token}&token=tok_success&last4=4242&brand=visa")
    review = browser.get(f"{base}/review/")
    key = re.search(rb'name="idempotency_key" value="([^"]+)"', review.content).group(1).decode()
    assert browser.post(f"{base}/place/", {"idempotency_key": key}).status_code == 302
    # A second click of the same form lands on the same order: nothing new to record.
    assert browser.post(f"{base}/place/", {"idempotency_key": key}).status_code == 302

    # The page that offers to start records no step; starting it (the POST) is "begin".
    assert [row["checkout_step"] for row in _kinds(Kind.CHECKOUT_STEP)] == list(CHECKOUT_STEPS)
    order = Order.objects.get(email="shopper@example.com")
    placed = _kinds(Kind.ORDER_PLACED)
    assert len(placed) == 1
    assert placed[0]["order_id"] == order.pk
    assert placed[0]["value_minor"] == int(order.total_amount * 100)
    assert placed[0]["currency"] == order.currency
    assert placed[0]["event_id"] == derived_event_id("order_placed", order.pk)
    assert {row["session_id"] for row in recorded()} == {placed[0]["session_id"]}
    # The checkout's token is a capability: its pages are stored without it.
    assert not any(str(checkout.token) in row["path"] for row in recorded())


def _api(client: Client, verb: str, path: str, body: Any = None, **headers: str) -> Any:
    data = json.dumps(body) if body is not None else None
    return getattr(client, verb)(
        f"/api/v1{path}", data=data, content_type="application/json", headers=headers
    )


def test_an_app_records_cart_checkout_and_order_on_the_app_channel(products):
    app = Client(headers={"User-Agent": "ShopApp/2.1 (iPhone; iOS 17.4)"})
    variant = variant_of(products[1])
    added = _api(app, "post", "/cart/lines", {"variant_id": variant.pk, "quantity": 2})
    assert added.status_code == 201
    cart = {"X-Cart-Token": added.json()["token"]}
    assert _api(app, "patch", f"/cart/lines/{variant.pk}", {"quantity": 1}, **cart).status_code == 200
    started = _api(app, "post", "/checkout", **cart)
    base = f"/checkout/{started.json()['token']}"
    _api(app, "put", f"{base}/contact", {"email": "app@example.com"}, **cart)
    _api(app, "put", f"{base}/address", {"shipping": ADDRESS}, **cart)
    _api(app, "put", f"{base}/shipping-method", {"method_id": method("uk-standard").pk}, **cart)
    _api(app, "post", f"{base}/payment-session", **cart)
    placed = _api(
        app, "post", f"{base}/place", {"payment_token": "tok_success"}, **cart, **{"Idempotency-Key": "k1"}
    )
    assert placed.status_code == 201, placed.content
    _api(app, "post", f"{base}/place", {"payment_token": "tok_success"}, **cart, **{"Idempotency-Key": "k1"})

    rows = recorded()
    assert {row["channel"] for row in rows} == {Channel.APP}
    assert not any(row["kind"] == Kind.PAGE_VIEW for row in rows)
    assert [(row["kind"], row["quantity"]) for row in _kinds(Kind.CART_ADD, Kind.CART_REMOVE)] == [
        (Kind.CART_ADD, 2),
        (Kind.CART_REMOVE, 1),
    ]
    assert [row["checkout_step"] for row in _kinds(Kind.CHECKOUT_STEP)] == [
        "begin",
        "address",
        "address",
        "shipping",
        "payment",
    ]
    order = Order.objects.get(email="app@example.com")
    assert [row["order_id"] for row in _kinds(Kind.ORDER_PLACED)] == [order.pk]
    # Apps carry no cookie: counted by the day's anonymous id (their own events go through
    # the events API with their ids).
    assert {row["visitor_id"][:5] for row in rows} == {"anon-"}


def test_the_storefronts_own_api_calls_with_the_session_cookie_are_web(browser, products):
    browser.get("/")  # the session cookie of a browser
    browser.post("/cart/add/", {"variant_id": variant_of(products[0]).pk, "quantity": "1"})
    answer = _api(browser, "delete", f"/cart/lines/{variant_of(products[0]).pk}")

    assert answer.status_code == 200
    removed = _kinds(Kind.CART_REMOVE)[0]
    assert removed["channel"] == Channel.WEB
    assert removed["visitor_id"] == browser.cookies["analytics_visitor"].value


def test_signup_and_login_are_recorded_and_name_the_customer_from_then_on(browser, products):
    user = make_user("ann@example.com")
    browser.get("/")
    assert (
        browser.post(
            reverse("account_signup"),
            {"email": "new@example.com", "password1": PASSWORD, "password2": PASSWORD},
        ).status_code
        == 302
    )
    login = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert login.status_code == 302
    browser.get(f"/p/{products[0].slug}/")

    assert len(_kinds(Kind.SIGNUP)) == 1
    signed_in = _kinds(Kind.LOGIN)
    assert len(signed_in) == 1
    assert signed_in[0]["customer_id"] == user.pk
    viewed = _kinds(Kind.PRODUCT_VIEW)[0]
    assert viewed["customer_id"] == user.pk
    assert len({row["session_id"] for row in recorded()}) == 1


def test_the_login_names_the_country_of_the_default_address(browser, products):
    from shopstack.accounts.models import Address

    user = make_user("ann@example.com", country="United Kingdom")
    Address.objects.create(user=user, **{**ADDRESS, "country": "FR"}, is_default_shipping=True)
    browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    browser.get("/")

    assert _kinds(Kind.LOGIN)[0]["country"] == "FR"
    assert _kinds(Kind.PAGE_VIEW)[0]["country"] == "FR"


def test_an_app_login_is_recorded_on_the_app_channel(products):
    user = make_user("ann@example.com")
    app = Client(headers={"User-Agent": PHONE})
    response = app.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200
    assert [(row["kind"], row["channel"]) for row in recorded()] == [(Kind.LOGIN, Channel.APP)]


def test_the_carts_button_and_a_resumed_checkout_each_reach_the_first_step(browser, products):
    browser.post("/cart/add/", {"variant_id": variant_of(products[0]).pk, "quantity": "1"})
    # The cart page's "Checkout" button posts straight to /checkout/, with no page before it.
    assert browser.post("/checkout/").status_code == 302
    assert [row["checkout_step"] for row in _kinds(Kind.CHECKOUT_STEP)] == ["begin"]
    # Back later: /checkout/ sends the shopper on to the checkout under way.
    assert browser.get("/checkout/").status_code == 302
    assert [row["checkout_step"] for row in _kinds(Kind.CHECKOUT_STEP)] == ["begin", "begin"]
