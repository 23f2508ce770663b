"""Customer order pages: history (own orders only, newest first, paged, imported history
included), order detail (everything the customer may see, nothing of other customers by
number guessing), and the guest lookup (no enumeration, rate limited, grants the session)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from shopstack.orders.models import OrderEvent, ReturnLine, ReturnRequest
from shopstack.orders.views import LOOKUP_FAILED, LOOKUP_LIMIT, PAGE_SIZE
from shopstack.testing.customer_orders import make_customer, make_history, make_order, ship

pytestmark = pytest.mark.django_db
LOOKUP = "/orders/lookup/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ann(client):
    user = make_customer("ann@example.com")
    client.force_login(user)
    return user


def numbers_in(html: str, candidates: list[str]) -> list[str]:
    """The candidate numbers in the order they appear on the page."""
    found = [(html.find(f">{n}<"), n) for n in candidates]
    return [n for pos, n in sorted(found) if pos >= 0]


# History -----------------------------------------------------------------------------------


def test_history_needs_sign_in(client):
    response = client.get("/account/orders/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_history_lists_own_orders_newest_first_with_imported_ones(client, ann):
    history = make_history(ann, 2)
    recent = make_order(customer=ann)
    other = make_order(customer=make_customer("bob@example.com"))
    guest_same_email = make_order(email="ann@example.com")  # not linked: a guest's order
    response = client.get("/account/orders/")
    assert response.status_code == 200
    html = response.content.decode()
    mine = [recent.number, history[1].number, history[0].number]
    assert numbers_in(html, [*mine, other.number, guest_same_email.number]) == mine
    assert "Completed" in html  # imported history
    assert "£22.35" in html
    assert 'href="/account/orders/' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_history_is_paged(client, ann):
    start = timezone.now() - timedelta(days=60)
    orders = make_history(ann, PAGE_SIZE + 3, start=start)
    first = client.get("/account/orders/").content.decode()
    second = client.get("/account/orders/?page=2").content.decode()
    newest, oldest = orders[-1].number, orders[0].number
    assert newest in first
    assert oldest not in first
    assert oldest in second
    assert newest not in second
    assert "Page 2 of 2" in second
    assert client.get("/account/orders/?page=99").status_code == 200  # last page, not an error
    assert client.get("/account/orders/?page=x").status_code == 200


def test_account_menu_links_to_orders(client, ann):
    assert 'href="/account/orders/"' in client.get("/account/").content.decode()


# Detail ------------------------------------------------------------------------------------


def test_detail_shows_lines_totals_address_shipments_returns_and_public_log(client, ann):
    order = make_order(customer=ann, status="shipped")
    ship(order, tracking_number="TRK555GB")
    OrderEvent.objects.create(order=order, kind="shipped", message="Shipment 1 with TRK555GB")
    OrderEvent.objects.create(order=order, kind="note", message="Staff: customer rang, be nice")
    OrderEvent.objects.create(order=order, kind="authorize_retry", message="Gateway timeout, retrying")
    rma = ReturnRequest.objects.create(order=order, number="R-0001", reason="Chipped", status="approved")
    ReturnLine.objects.create(rma=rma, line=order.lines.first(), quantity=1)

    response = client.get(f"/account/orders/{order.number}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Red mug", "Teapot", "£5.90", "£18.40", "£3.95", "£22.35", "1 High Street", "BA1 1AA"):
        assert text in html
    assert "Shipped" in html
    assert '<a href="https://track.example.com/TRK555GB" rel="noopener">TRK555GB</a>' in html
    assert "R-0001" in html
    assert "Approved" in html
    assert "Chipped" in html
    assert "Order placed" in html
    assert "Parcel shipped" in html
    assert "customer rang" not in html  # staff notes stay out
    assert "Gateway timeout" not in html
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_another_customers_order_is_not_found_by_number_guessing(client, ann):
    bobs = make_order(customer=make_customer("bob@example.com"))
    guests = make_order(email="ann@example.com")
    assert client.get(f"/account/orders/{bobs.number}/").status_code == 404
    assert client.get(f"/account/orders/{guests.number}/").status_code == 404
    assert client.get("/account/orders/SS-NOSUCH1/").status_code == 404
    # Same page for "exists, not yours" and "does not exist": guessing learns nothing.
    a = client.get(f"/account/orders/{bobs.number}/").content.decode().replace(bobs.number, "N")
    b = client.get("/account/orders/SS-NOSUCH1/").content.decode().replace("SS-NOSUCH1", "N")
    assert a == b
    # Nor through the guest page without a lookup.
    assert client.get(f"/orders/{bobs.number}/").status_code == 404


def test_detail_needs_sign_in(client):
    order = make_order(customer=make_customer())
    assert client.get(f"/account/orders/{order.number}/").status_code == 302


def test_imported_order_without_address_or_log_still_shows(client, ann):
    [old] = make_history(ann, 1)
    response = client.get(f"/account/orders/{old.number}/")
    assert response.status_code == 200
    assert "Completed" in response.content.decode()


# Guest lookup ------------------------------------------------------------------------------


def lookup(client: Client, number: str, email: str, **extra):
    return client.post(LOOKUP, {"number": number, "email": email}, **extra)


def test_lookup_grants_this_session_the_order(client):
    order = make_order(email="Guest@Example.com")
    other = make_order(email="other@example.com")
    assert client.get(f"/orders/{order.number}/").status_code == 404
    response = lookup(client, f" {order.number} ", "guest@example.COM")
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.number}/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Teapot" in page.content.decode()
    # Only that order; and not another browser.
    assert client.get(f"/orders/{other.number}/").status_code == 404
    assert Client().get(f"/orders/{order.number}/").status_code == 404


def test_wrong_number_and_wrong_email_get_the_same_answer(client):
    order = make_order(email="guest@example.com")
    wrong_email = lookup(client, order.number, "someone@example.com")
    wrong_number = lookup(client, "SS-WRONG123", "guest@example.com")
    assert wrong_email.status_code == wrong_number.status_code == 404
    assert LOOKUP_FAILED in wrong_email.content.decode()
    strip = [order.number, "SS-WRONG123", "someone@example.com", "guest@example.com"]
    bodies = [wrong_email.content.decode(), wrong_number.content.decode()]
    for value in strip:
        bodies = [b.replace(value, "X") for b in bodies]
    bodies = [b.split('name="csrfmiddlewaretoken"')[0] for b in bodies]
    assert bodies[0] == bodies[1]
    assert client.get(f"/orders/{order.number}/").status_code == 404


def test_bad_lookup_input_is_refused_with_field_messages(client):
    response = lookup(client, "", "not-an-email")
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required." in html
    assert "Enter a valid email address." in html
    response = lookup(client, "X" * 40, "a@example.com")
    assert response.status_code == 422


def test_lookup_is_rate_limited_per_ip(client):
    order = make_order(email="guest@example.com")
    for i in range(LOOKUP_LIMIT):
        assert lookup(client, f"SS-GUESS{i:03d}", "guest@example.com").status_code == 404
    blocked = lookup(client, order.number, "guest@example.com")
    assert blocked.status_code == 429
    assert blocked["Retry-After"]
    assert "Too many attempts" in blocked.content.decode()
    assert client.get(f"/orders/{order.number}/").status_code == 404  # the right answer, too late
    # Another address is not blocked.
    other = lookup(Client(), order.number, "guest@example.com", REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302


def test_lookup_needs_csrf(client):
    order = make_order(email="guest@example.com")
    strict = Client(enforce_csrf_checks=True)
    assert lookup(strict, order.number, "guest@example.com").status_code == 403


def test_imported_orders_without_email_cannot_be_looked_up(client):
    order = make_order(email="")
    assert lookup(client, order.number, "guest@example.com").status_code == 404


def test_lookup_form_prefills_the_number_from_the_email_link(client):
    response = client.get(f"{LOOKUP}?number=SS-ABC")
    assert response.status_code == 200
    assert 'value="SS-ABC"' in response.content.decode()


# Returns -----------------------------------------------------------------------------------


def return_form(order, **quantities):
    lines = {line.product_name: line.pk for line in order.lines.all()}
    return {f"qty_{lines[name]}": str(q) for name, q in quantities.items()}


def test_owner_requests_a_return_of_shipped_units(client, ann):
    order = make_order(customer=ann, status="shipped")
    ship(order)
    page = client.get(f"/account/orders/{order.number}/").content.decode()
    assert "Request a return" in page
    data = {**return_form(order, **{"Red mug": 1}), "reason": "Arrived chipped"}
    response = client.post(f"/account/orders/{order.number}/return/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/account/orders/{order.number}/"
    rma = ReturnRequest.objects.get(order=order)
    assert (rma.status, rma.reason) == ("requested", "Arrived chipped")
    assert [(rl.line.product_name, rl.quantity) for rl in rma.lines.all()] == [("Red mug", 1)]
    after = client.get(response["Location"]).content.decode()
    assert f"Return {rma.number} requested" in after
    assert "Return requested" in after  # in the public history


@pytest.mark.parametrize(
    ("quantities", "reason", "message"),
    [
        ({"Red mug": 3}, "Too many", "at most 2"),
        ({"Red mug": -1}, "Negative", "whole number"),
        ({"Red mug": "1.5"}, "Fraction", "whole number"),
        ({}, "Nothing chosen", "Choose at least one item"),
        ({"Red mug": 1}, "", "Say why"),
    ],
)
def test_bad_return_requests_are_refused_and_change_nothing(client, ann, quantities, reason, message):
    order = make_order(customer=ann, status="shipped")
    ship(order)
    data = {**return_form(order, **quantities), "reason": reason}
    response = client.post(f"/account/orders/{order.number}/return/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert ReturnRequest.objects.count() == 0


def test_no_return_form_before_shipping_and_no_return_of_unshipped_units(client, ann):
    order = make_order(customer=ann)
    assert "Request a return" not in client.get(f"/account/orders/{order.number}/").content.decode()
    data = {**return_form(order, **{"Red mug": 1}), "reason": "Changed my mind"}
    assert client.post(f"/account/orders/{order.number}/return/", data).status_code == 422
    assert ReturnRequest.objects.count() == 0


def test_nobody_requests_a_return_on_another_customers_order(client, ann):
    bobs = make_order(customer=make_customer("bob@example.com"), status="shipped")
    ship(bobs)
    data = {**return_form(bobs, **{"Red mug": 1}), "reason": "Mine now"}
    assert client.post(f"/account/orders/{bobs.number}/return/", data).status_code == 404
    assert client.post(f"/orders/{bobs.number}/return/", data).status_code == 404
    assert Client().post(f"/orders/{bobs.number}/return/", data).status_code == 404
    assert ReturnRequest.objects.count() == 0


def test_guest_requests_a_return_after_the_lookup(client):
    order = make_order(email="guest@example.com", status="shipped")
    ship(order)
    data = {**return_form(order, Teapot=1), "reason": "Wrong colour"}
    assert client.post(f"/orders/{order.number}/return/", data).status_code == 404
    assert lookup(client, order.number, "guest@example.com").status_code == 302
    response = client.post(f"/orders/{order.number}/return/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.number}/"
    assert ReturnRequest.objects.get(order=order).reason == "Wrong colour"


def test_return_form_needs_csrf(ann):
    order = make_order(customer=ann, status="shipped")
    ship(order)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ann)
    data = {**return_form(order, **{"Red mug": 1}), "reason": "Chipped"}
    assert strict.post(f"/account/orders/{order.number}/return/", data).status_code == 403
    assert ReturnRequest.objects.count() == 0


def test_pages_take_a_few_queries_whatever_the_order_size(client, ann, django_assert_max_num_queries):
    make_history(ann, PAGE_SIZE + 5)
    big = make_order(customer=ann, status="shipped", lines=[(f"Item {i}", 1, "1.00") for i in range(30)])
    ship(big)
    with django_assert_max_num_queries(8):
        assert client.get("/account/orders/").status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(f"/account/orders/{big.number}/").status_code == 200
