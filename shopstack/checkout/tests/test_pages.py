"""Cart pages without JavaScript and with htmx, CSRF, the mini-cart, merge at a real allauth
login, and adding from the cached product page (one body for every visitor, no token in it)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from shopstack.checkout.models import Cart, CartLine
from shopstack.testing.cart import cart_lines, make_cart, variant_of
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db
PASSWORD = "a long pass phrase 42"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def mug(db):
    return make_product(name="Blue mug", price="2.95", stock=10, code="MUG01")


@pytest.fixture
def browser() -> Client:
    """A client that, like a browser, must send the CSRF token it was given."""
    return Client(enforce_csrf_checks=True)


def token_from(html: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1).decode()


def open_product(client: Client, product) -> str:
    """Visit the product page and, as a browser without JavaScript does, send its form (a
    GET) to the confirmation page; return the CSRF token that page's POST form carries."""
    response = client.get(f"/p/{product.slug}/")
    assert response.status_code == 200
    assert re.search(rb'<form class="add-to-cart__form" method="get" action="/cart/add/"', response.content)
    confirm = client.get("/cart/add/", {"variant_id": variant_of(product).pk, "quantity": "1"})
    assert confirm.status_code == 200
    return token_from(confirm.content)


def add(client: Client, product, quantity: object = 1, *, token: str, **headers):
    data = {"variant_id": variant_of(product).pk, "quantity": quantity, "csrfmiddlewaretoken": token}
    return client.post("/cart/add/", data, headers=headers)


def session_cart_lines(client: Client) -> dict[str, int]:
    carts = Cart.objects.filter(status=Cart.Status.OPEN)
    assert carts.count() <= 1
    return cart_lines(carts.get()) if carts.exists() else {}


# Adding from the product page ---------------------------------------------------------


def test_add_without_javascript_redirects_to_the_cart_which_shows_the_line(browser, mug):
    token = open_product(browser, mug)
    response = add(browser, mug, 2, token=token)
    assert response.status_code == 302
    assert response["Location"] == "/cart/"
    page = browser.get("/cart/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Added 2 \N{MULTIPLICATION SIGN} Blue mug to your cart." in html
    assert "Blue mug" in html
    assert "MUG01" in html
    assert "£5.90" in html
    assert "Taxes and shipping at checkout" in html
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    assert session_cart_lines(browser) == {"MUG01": 2}


def test_add_with_htmx_answers_the_form_and_the_mini_cart(browser, mug):
    token = open_product(browser, mug)
    response = add(browser, mug, 3, token=token, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Added 3 \N{MULTIPLICATION SIGN} Blue mug" in html
    assert re.search(r'id="mini-cart"[^>]*hx-swap-oob="true"', html)
    assert 'data-count="3"' in html
    assert session_cart_lines(browser) == {"MUG01": 3}


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("0", "Enter at least 1."), ("abc", "Enter a whole number."), ("11", "Only 10 left."), ("1.5", "whole")],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_bad_quantity_is_400_with_the_message_beside_the_control(browser, mug, quantity, message, htmx):
    token = open_product(browser, mug)
    response = add(browser, mug, quantity, token=token, **(HTMX if htmx else {}))
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'id="add-quantity-error">[^<]*' + re.escape(message), html)
    assert 'aria-invalid="true"' in html
    assert ("<html" in html) is not htmx
    assert Cart.objects.count() == 0
    assert CartLine.objects.count() == 0


def test_unknown_variant_is_400_and_creates_nothing(browser, mug):
    token = open_product(browser, mug)
    data = {"variant_id": "999999", "quantity": "1", "csrfmiddlewaretoken": token}
    response = browser.post("/cart/add/", data)
    assert response.status_code == 400
    assert "This product is not available." in response.content.decode()
    assert Cart.objects.count() == 0


def test_posts_without_a_csrf_token_are_refused(browser, mug):
    open_product(browser, mug)
    cart_before = Cart.objects.count()
    for url in ("/cart/add/", "/cart/update/", "/cart/remove/"):
        response = browser.post(url, {"variant_id": variant_of(mug).pk, "quantity": "1"})
        assert response.status_code == 403
    assert Cart.objects.count() == cart_before
    assert CartLine.objects.count() == 0


def test_cart_endpoints_refuse_wrong_methods(client):
    assert client.put("/cart/add/").status_code == 405
    assert client.get("/cart/update/").status_code == 405
    assert client.post("/cart/mini/").status_code == 405


def test_confirmation_page_of_an_unknown_product_is_400_and_changes_nothing(client):
    response = client.get("/cart/add/", {"variant_id": "999999", "quantity": "1"})
    assert response.status_code == 400
    assert Cart.objects.count() == 0


# The cart page ------------------------------------------------------------------------


@pytest.fixture
def filled(browser, mug):
    """A browser whose guest cart holds 2 mugs; returns its CSRF token."""
    token = open_product(browser, mug)
    assert add(browser, mug, 2, token=token).status_code == 302
    return token


def test_empty_cart_page(client):
    response = client.get("/cart/")
    assert response.status_code == 200
    assert "Your cart is empty." in response.content.decode()


def test_update_and_remove_without_javascript(browser, mug, filled):
    variant = variant_of(mug).pk
    data = {"variant_id": variant, "csrfmiddlewaretoken": filled}
    response = browser.post("/cart/update/", {**data, "quantity": "5"})
    assert response.status_code == 302
    assert session_cart_lines(browser) == {"MUG01": 5}
    assert "Quantity updated." in browser.get("/cart/").content.decode()
    response = browser.post("/cart/remove/", data)
    assert response.status_code == 302
    assert session_cart_lines(browser) == {}
    assert "Your cart is empty." in browser.get("/cart/").content.decode()


def test_update_with_htmx_swaps_the_cart_and_the_mini_cart(browser, mug, filled):
    data = {"variant_id": variant_of(mug).pk, "quantity": "4", "csrfmiddlewaretoken": filled}
    response = browser.post("/cart/update/", data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'value="4"' in html
    assert "£11.80" in html
    assert 'data-count="4"' in html
    assert 'hx-swap-oob="true"' in html


@pytest.mark.parametrize("htmx", [False, True])
def test_bad_update_is_400_beside_the_line_and_changes_nothing(browser, mug, filled, htmx):
    variant = variant_of(mug).pk
    data = {"variant_id": variant, "quantity": "-3", "csrfmiddlewaretoken": filled}
    response = browser.post("/cart/update/", data, headers=HTMX if htmx else {})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(rf'id="quantity-{variant}-error">Enter 0 to remove the item, or more\.', html)
    assert session_cart_lines(browser) == {"MUG01": 2}


def test_removing_what_is_not_there_is_400(browser, mug, filled):
    other = make_product(name="Plate")
    data = {"variant_id": variant_of(other).pk, "csrfmiddlewaretoken": filled}
    response = browser.post("/cart/remove/", data)
    assert response.status_code == 400
    assert "That item is not in your cart." in response.content.decode()
    assert session_cart_lines(browser) == {"MUG01": 2}


def test_another_visitor_sees_an_empty_cart(browser, mug, filled):
    stranger = Client()
    assert "Your cart is empty." in stranger.get("/cart/").content.decode()
    assert 'data-count="0"' in stranger.get("/cart/mini/").content.decode()


# Mini-cart ------------------------------------------------------------------------------


def test_mini_cart_counts_items_and_is_never_cached(browser, mug, filled):
    response = browser.get("/cart/mini/")
    assert response.status_code == 200
    assert 'data-count="2"' in response.content.decode()
    assert "hx-swap-oob" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_mini_cart_of_a_new_visitor_costs_no_query(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/cart/mini/")
    assert 'data-count="0"' in response.content.decode()


def test_cached_pages_load_the_mini_cart_with_htmx_and_link_to_the_cart(client, mug):
    html = client.get(f"/p/{mug.slug}/").content.decode()
    slot = r'<a id="mini-cart"[^>]*href="/cart/"[^>]*hx-get="/cart/mini/"[^>]*hx-trigger="load"'
    assert re.search(slot, html)
    assert html.count("htmx.min.js") == 1


# Cached product page and CSRF --------------------------------------------------------------


def test_cached_product_page_is_one_body_and_adds_without_javascript_through_a_confirmation(mug):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_one = first.get(f"/p/{mug.slug}/")
    page_two = second.get(f"/p/{mug.slug}/")
    assert (page_one["X-Page-Cache"], page_two["X-Page-Cache"]) == ("miss", "hit")
    assert page_one.content == page_two.content
    assert b"csrfmiddlewaretoken" not in page_one.content
    assert "Cookie" not in page_one.get("Vary", "")
    # The confirmation page (the form's GET) changes nothing; its POST form does the adding.
    confirm = second.get("/cart/add/", {"variant_id": variant_of(mug).pk, "quantity": "2"})
    assert confirm.status_code == 200
    assert "no-store" in confirm["Cache-Control"]
    assert Cart.objects.count() == 0
    assert 'name="quantity" value="2"' in confirm.content.decode()
    assert add(second, mug, 2, token=token_from(confirm.content)).status_code == 302
    assert session_cart_lines(second) == {"MUG01": 2}


def test_htmx_add_from_the_cached_page_sends_the_cookie_token_as_a_header(mug):
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(f"/p/{mug.slug}/").content.decode()
    assert "shopstack/csrf" in page  # the script that copies the cookie into a header
    visitor.get("/cart/mini/")  # the header's mini-cart, loaded by htmx, sets the cookie
    cookie = visitor.cookies["csrftoken"].value
    data = {"variant_id": variant_of(mug).pk, "quantity": "1"}
    assert visitor.post("/cart/add/", data, headers=HTMX).status_code == 403
    response = visitor.post("/cart/add/", data, headers={**HTMX, "X-CSRFToken": cookie})
    assert response.status_code == 200
    assert "Added 1 \N{MULTIPLICATION SIGN} Blue mug" in response.content.decode()
    assert session_cart_lines(visitor) == {"MUG01": 1}


# Merge at login ---------------------------------------------------------------------------


def test_guest_cart_merges_into_the_customers_cart_at_allauth_login(browser, mug):
    plate = make_product(name="Plate", code="PLATE", stock=3)
    user = get_user_model().objects.create_user(email="ann@example.com", password=PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    make_cart(customer=user, lines={mug: 9})
    token = open_product(browser, mug)
    assert add(browser, mug, 4, token=token).status_code == 302
    assert add(browser, plate, 2, token=token).status_code == 302
    guest = Cart.objects.get(customer__isnull=True)

    login_page = browser.get(reverse("account_login"))
    response = browser.post(
        reverse("account_login"),
        {"login": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token_from(login_page.content)},
    )
    assert response.status_code == 302

    guest.refresh_from_db()
    assert guest.status == Cart.Status.MERGED
    assert cart_lines(Cart.objects.get(customer=user, status=Cart.Status.OPEN)) == {"MUG01": 10, "PLATE": 2}
    assert 'data-count="12"' in browser.get("/cart/mini/").content.decode()
    # Signing out leaves an empty guest session: the customer's cart stays with the account.
    token = token_from(browser.get("/cart/").content)
    browser.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert 'data-count="0"' in browser.get("/cart/mini/").content.decode()
