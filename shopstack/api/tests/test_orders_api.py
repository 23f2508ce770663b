"""Orders API: the signed-in customer's history and orders, by session token or session
cookie; another customer's order is a 404 by number guessing; the one error format."""

from __future__ import annotations

import pytest
from django.test import Client

from shopstack.api.orders import OrderListOut, OrderOut
from shopstack.api.tests.conftest import error_of
from shopstack.orders.models import OrderEvent
from shopstack.testing.customer_orders import PASSWORD, make_customer, make_history, make_order, ship

pytestmark = pytest.mark.django_db


def app_token(user) -> str:
    response = Client().post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


@pytest.fixture
def ann(db):
    return make_customer("ann@example.com")


@pytest.fixture
def app(ann) -> Client:
    """A mobile app signed in as Ann (session token header, no cookies)."""
    return Client(headers={"X-Session-Token": app_token(ann)})


def test_list_needs_sign_in(client):
    response = client.get("/api/v1/orders")
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert client.get("/api/v1/orders/SS-ANY").status_code == 401
    bad = Client(headers={"X-Session-Token": "not-a-session"}).get("/api/v1/orders")
    assert bad.status_code == 401


def test_list_has_own_orders_newest_first_with_history(app, ann):
    history = make_history(ann, 2)
    recent = make_order(customer=ann)
    make_order(customer=make_customer("bob@example.com"))
    make_order(email="ann@example.com")  # a guest order with the same email is not linked
    response = app.get("/api/v1/orders")
    assert response.status_code == 200
    body = OrderListOut.model_validate(response.json())
    assert [o.number for o in body.items] == [recent.number, history[1].number, history[0].number]
    first = body.items[0]
    assert (first.total, first.currency, first.item_count, first.status) == ("22.35", "GBP", 3, "confirmed")
    assert body.next_cursor is None
    assert response["Cache-Control"] == "private, no-store"


def test_list_pages_with_a_cursor(app, ann):
    orders = make_history(ann, 5)
    expected = [o.number for o in reversed(orders)]
    seen, cursor = [], None
    for _ in range(3):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = app.get("/api/v1/orders", params).json()
        seen += [o["number"] for o in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert cursor is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"cursor": "nope"}, "cursor"),
    ],
)
def test_bad_list_parameters_are_refused_with_field_messages(app, ann, params, field):
    response = app.get("/api/v1/orders", params)
    assert response.status_code in {400, 422}
    assert field in error_of(response)["fields"]


def test_detail_has_lines_totals_address_shipments_and_public_history(app, ann):
    order = make_order(customer=ann, status="shipped")
    ship(order, tracking_number="TRK777GB")
    OrderEvent.objects.create(order=order, kind="shipped", message="Shipment with TRK777GB")
    OrderEvent.objects.create(order=order, kind="note", message="Staff only")
    response = app.get(f"/api/v1/orders/{order.number}")
    assert response.status_code == 200
    body = OrderOut.model_validate(response.json())
    assert [(line.product_name, line.quantity, line.total) for line in body.lines] == [
        ("Red mug", 2, "5.90"),
        ("Teapot", 1, "12.50"),
    ]
    assert (body.subtotal, body.shipping, body.total) == ("18.40", "3.95", "22.35")
    assert body.shipping_address is not None
    assert body.shipping_address.postal_code == "BA1 1AA"
    assert body.billing_address is None
    [shipment] = body.shipments
    assert shipment.tracking_number == "TRK777GB"
    assert shipment.tracking_url == "https://track.example.com/TRK777GB"
    assert [e.kind for e in body.events] == ["placed", "shipped"]
    assert "Staff only" not in response.content.decode()


def test_another_customers_order_is_not_found(app, ann):
    bobs = make_order(customer=make_customer("bob@example.com"))
    guests = make_order(email="ann@example.com")
    for number in (bobs.number, guests.number, "SS-NOSUCH1", "x" * 40):
        response = app.get(f"/api/v1/orders/{number}")
        assert response.status_code == 404
        error = error_of(response)
        assert error["code"] == "not_found"
        assert bobs.number not in response.content.decode()
    # The same body whether the number exists or not.
    assert app.get(f"/api/v1/orders/{bobs.number}").content == app.get("/api/v1/orders/SS-NOSUCH1").content


def test_browser_session_cookie_works_too(client, ann):
    order = make_order(customer=ann)
    client.force_login(ann)
    assert [o["number"] for o in client.get("/api/v1/orders").json()["items"]] == [order.number]
    assert client.get(f"/api/v1/orders/{order.number}").status_code == 200


def test_reads_change_nothing(app, ann):
    order = make_order(customer=ann)
    before = (order.status, order.total_amount, OrderEvent.objects.count())
    app.get("/api/v1/orders")
    app.get(f"/api/v1/orders/{order.number}")
    order.refresh_from_db()
    assert (order.status, order.total_amount, OrderEvent.objects.count()) == before


def test_writes_are_not_allowed(app, ann):
    order = make_order(customer=ann)
    response = app.delete(f"/api/v1/orders/{order.number}")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
