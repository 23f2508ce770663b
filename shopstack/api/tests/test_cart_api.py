"""Cart API: guest carts by X-Cart-Token, customers by X-Session-Token, browser sessions
with CSRF, isolation between clients, and the one error format with field messages."""

from __future__ import annotations

import pytest
from django.test import Client

from shopstack.api.tests.conftest import PASSWORD, error_of
from shopstack.checkout.models import Cart, CartLine
from shopstack.testing.cart import cart_lines, make_cart, signed_token, variant_of
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db
LINES = "/api/v1/cart/lines"


@pytest.fixture
def mug(db):
    return make_product(name="Mug", price="2.95", stock=10, code="MUG01")


@pytest.fixture
def plate(db):
    return make_product(name="Plate", price="4.50", stock=3, code="PLATE")


def post_line(client: Client, product, quantity: object = 1, **headers):
    body = {"variant_id": variant_of(product).pk, "quantity": quantity}
    return client.post(LINES, body, content_type="application/json", headers=headers)


def patch_line(client: Client, product, quantity: object, **headers):
    url = f"{LINES}/{variant_of(product).pk}"
    return client.patch(url, {"quantity": quantity}, content_type="application/json", headers=headers)


def app_token(client: Client, user) -> str:
    """Sign in like a mobile app through allauth headless; returns the session token."""
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


# Guests with a cart token ------------------------------------------------------------------


def test_first_add_creates_a_cart_and_returns_its_token(client, mug):
    assert client.get("/api/v1/cart").json()["token"] is None
    response = post_line(client, mug, 2)
    assert response.status_code == 201
    body = response.json()
    token = body["token"]
    assert token
    assert response["X-Cart-Token"] == token
    assert response["Cache-Control"] == "no-store"
    assert body["lines"][0]["sku"] == "MUG01"
    assert body["lines"][0]["unit_price"] == "2.95"
    assert body["lines"][0]["line_total"] == "5.90"
    assert (body["subtotal"], body["item_count"], body["currency"]) == ("5.90", 2, "GBP")
    assert body["note"] == "Taxes and shipping at checkout."

    # A fresh client (no cookies) with the token sees and changes the same cart.
    app = Client()
    assert post_line(app, mug, 1, **{"X-Cart-Token": token}).json()["item_count"] == 3
    assert patch_line(app, mug, 5, **{"X-Cart-Token": token}).json()["item_count"] == 5
    seen = app.get("/api/v1/cart", headers={"X-Cart-Token": token}).json()
    assert [(line["sku"], line["quantity"]) for line in seen["lines"]] == [("MUG01", 5)]
    response = app.delete(f"{LINES}/{variant_of(mug).pk}", headers={"X-Cart-Token": token})
    assert response.status_code == 200
    assert response.json()["lines"] == []
    assert Cart.objects.count() == 1


def test_client_sent_prices_are_ignored(client, mug):
    response = client.post(
        LINES,
        {"variant_id": variant_of(mug).pk, "quantity": 1, "unit_price": "0.01"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["subtotal"] == "2.95"


def test_tokens_never_reach_another_cart(mug, plate):
    mine = make_cart(lines={mug: 1})
    theirs = make_cart(lines={plate: 2})
    app = Client()
    headers = {"X-Cart-Token": signed_token(mine)}
    seen = app.get("/api/v1/cart", headers=headers).json()
    assert [line["sku"] for line in seen["lines"]] == ["MUG01"]
    # Their line is "not in your cart" for me, whatever id I send.
    assert patch_line(app, plate, 1, **headers).status_code == 404
    assert app.delete(f"{LINES}/{variant_of(plate).pk}", headers=headers).status_code == 404
    # A guessed token (their raw UUID, or their UUID with my signature) is refused outright.
    my_signature = signed_token(mine).split(":", 1)[1]
    for guess in (theirs.token.hex, str(theirs.token), f"{theirs.token.hex}:{my_signature}", "1"):
        response = app.get("/api/v1/cart", headers={"X-Cart-Token": guess})
        assert response.status_code == 400
        assert error_of(response)["fields"] == {
            "X-Cart-Token": ["Not a valid cart token; leave it out to start a new cart."]
        }
        assert post_line(app, mug, 1, **{"X-Cart-Token": guess}).status_code == 400
    assert cart_lines(theirs) == {"PLATE": 2}
    assert cart_lines(mine) == {"MUG01": 1}


def test_a_merged_carts_token_finds_nothing_and_a_new_cart_starts(mug, user):
    guest = make_cart(lines={mug: 1})
    from shopstack.checkout.services import cart_merge

    cart_merge(guest_cart=guest, customer=user)
    app = Client()
    headers = {"X-Cart-Token": signed_token(guest)}
    assert app.get("/api/v1/cart", headers=headers).json()["lines"] == []
    response = post_line(app, mug, 1, **headers)
    assert response.status_code == 201
    assert response.json()["token"] != signed_token(guest)
    assert cart_lines(Cart.objects.get(customer=user)) == {"MUG01": 1}


# Errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "field_message"),
    [
        (0, "Enter at least 1."),
        (-1, "Enter at least 1."),
        (10**9, "Enter at most 999."),
        (11, "Only 10 left."),
        (1.5, "Input should be a valid integer"),
        ("abc", "Input should be a valid integer"),
        ("2", "Input should be a valid integer"),
        (None, "Input should be a valid integer"),
    ],
)
def test_bad_quantities_are_422_with_a_field_message_and_change_nothing(client, mug, quantity, field_message):
    response = post_line(client, mug, quantity)
    assert response.status_code == 422
    error = error_of(response)
    assert error["fields"]["quantity"] == [field_message]
    assert Cart.objects.count() == 0


def test_unknown_and_unpublished_variants_are_refused(client, mug):
    hidden = make_product(name="Secret", published=False)
    for variant_id in (variant_of(hidden).pk, 987654, 2**70):
        response = client.post(
            LINES, {"variant_id": variant_id, "quantity": 1}, content_type="application/json"
        )
        assert response.status_code == 422
        assert error_of(response)["fields"] == {"variant_id": ["This product is not available."]}
    response = client.post(LINES, {"quantity": 1}, content_type="application/json")
    assert response.status_code == 422
    assert "variant_id" in error_of(response)["fields"]
    assert Cart.objects.count() == 0


def test_patch_errors(client, mug, plate):
    token = post_line(client, mug, 2).json()["token"]
    headers = {"X-Cart-Token": token}
    response = patch_line(client, mug, 11, **headers)
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"quantity": ["Only 10 left."]}
    response = patch_line(client, plate, 1, **headers)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    response = client.patch(f"{LINES}/abc", {"quantity": 1}, content_type="application/json", headers=headers)
    assert response.status_code == 422
    assert "variant_id" in error_of(response)["fields"]
    assert patch_line(client, mug, 0, **headers).json()["lines"] == []


def test_changes_without_a_cart_are_404(client, mug):
    assert patch_line(client, mug, 1).status_code == 404
    assert client.delete(f"{LINES}/{variant_of(mug).pk}").status_code == 404
    assert Cart.objects.count() == 0


# Signed-in customers -------------------------------------------------------------------------


def test_app_customer_uses_their_own_cart_and_merges_a_guest_token(mug, plate, user):
    app = Client()
    guest_token = post_line(app, plate, 2).json()["token"]
    session = {"X-Session-Token": app_token(app, user)}
    response = post_line(app, mug, 1, **session, **{"X-Cart-Token": guest_token})
    assert response.status_code == 201
    body = response.json()
    assert body["token"] is None
    assert "X-Cart-Token" not in response
    assert {line["sku"]: line["quantity"] for line in body["lines"]} == {"PLATE": 2, "MUG01": 1}
    # The guest token is spent: alone it finds nothing now.
    assert Client().get("/api/v1/cart", headers={"X-Cart-Token": guest_token}).json()["lines"] == []


def test_customers_never_see_each_others_carts(mug, plate, user, django_user_model):
    from allauth.account.models import EmailAddress

    other = django_user_model.objects.create_user(email="bob@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    theirs = make_cart(customer=other, lines={plate: 1})
    app = Client()
    session = {"X-Session-Token": app_token(app, user)}
    assert app.get("/api/v1/cart", headers=session).json()["lines"] == []
    # Their cart's token is not a way in: tokens only ever find guest carts.
    assert app.get("/api/v1/cart", headers={"X-Cart-Token": signed_token(theirs)}).json()["lines"] == []
    assert patch_line(app, plate, 3, **session).status_code == 404
    assert cart_lines(theirs) == {"PLATE": 1}


def test_headless_login_with_a_cart_token_merges_it(mug, user):
    app = Client()
    guest_token = post_line(app, mug, 2).json()["token"]
    response = app.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
        headers={"X-Cart-Token": guest_token},
    )
    assert response.status_code == 200
    assert cart_lines(Cart.objects.get(customer=user)) == {"MUG01": 2}


# Browser sessions and CSRF --------------------------------------------------------------------


def test_browser_session_writes_need_csrf_token_clients_do_not(mug, user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = post_line(browser, mug, 1)
    assert response.status_code == 403
    assert error_of(response)["code"] == "csrf_failed"
    assert CartLine.objects.count() == 0

    browser.get("/cart/mini/")  # the header's mini-cart sets the CSRF cookie on every page
    csrf = browser.cookies["csrftoken"].value
    response = post_line(browser, mug, 1, **{"X-CSRFToken": csrf})
    assert response.status_code == 201
    assert cart_lines(Cart.objects.get(customer=user)) == {"MUG01": 1}
    assert patch_line(browser, mug, 2).status_code == 403
    assert browser.delete(f"{LINES}/{variant_of(mug).pk}").status_code == 403
    assert cart_lines(Cart.objects.get(customer=user)) == {"MUG01": 1}

    # A token client needs no CSRF token.
    app = Client(enforce_csrf_checks=True)
    assert post_line(app, mug, 1).status_code == 201


def test_anonymous_browser_session_shares_its_cart_with_the_pages(mug):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/p/{mug.slug}/")
    assert page.status_code == 200
    browser.get("/cart/mini/")
    csrf = browser.cookies["csrftoken"].value
    # The session cookie only exists once something is stored; start it as the page's htmx
    # add-to-cart does, with the cookie's token in a header.
    data = {"variant_id": variant_of(mug).pk, "quantity": "1"}
    added = browser.post("/cart/add/", data, headers={"HX-Request": "true", "X-CSRFToken": csrf})
    assert added.status_code == 200
    assert post_line(browser, mug, 2).status_code == 403
    response = post_line(browser, mug, 2, **{"X-CSRFToken": csrf})
    assert response.status_code == 201
    assert response.json()["token"] is None
    assert response.json()["item_count"] == 3
    assert 'data-count="3"' in browser.get("/cart/mini/").content.decode()
