"""Pages refuse control characters: a 400 page naming the field from the middleware for
views that read the request themselves (checkout, cart, search, returns), a field error for
views with forms, and allauth's headless API refusing U+0000 in its own format. Nothing is
stored; on PostgreSQL these were 500s."""

from __future__ import annotations

import importlib
import json
import pkgutil

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

import shopstack
from shopstack.accounts.forms import AddressForm
from shopstack.accounts.models import Address
from shopstack.accounts.tests.conftest import make_user
from shopstack.checkout.models import Checkout
from shopstack.checkout.tests.test_checkout_pages import Shopper, address_form, start
from shopstack.core.forms import RefusesControlCharacters
from shopstack.testing.cart import make_cart
from shopstack.testing.checkout import ensure_checkout_data
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper(db: None) -> Shopper:
    ensure_checkout_data()
    shopper = Shopper()
    shopper.hold(make_cart(lines={make_product(name="Enamel mug", price="10.00", stock=5): 1}))
    return shopper


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x9b"])
def test_checkout_address_with_a_control_character_is_400_naming_the_field(shopper, character) -> None:
    checkout = start(shopper)
    url = f"/checkout/{checkout.token}/"
    response = shopper.post(url, address_form(**{"shipping-full_name": f"Ann{character}"}), page=url)
    assert response.status_code == 400
    html = response.content.decode()
    assert "shipping-full_name" in html
    assert f"U+{ord(character):04X}" in html
    checkout.refresh_from_db()
    assert not checkout.shipping_address
    assert checkout.email == ""


def test_checkout_voucher_with_a_nul_is_400(shopper) -> None:
    checkout = start(shopper)
    review = f"/checkout/{checkout.token}/review/"
    response = shopper.post(f"/checkout/{checkout.token}/voucher/", {"code": "SAVE\x0010"}, page=review)
    assert response.status_code == 400
    assert Checkout.objects.get(pk=checkout.pk).voucher_code == ""


def test_the_middleware_lets_newlines_through_for_textareas(shopper) -> None:
    # A page may have textareas (a return's reason): TAB, CR and LF are the forms' and
    # services' to judge, not the middleware's.
    checkout = start(shopper)
    url = f"/checkout/{checkout.token}/"
    assert shopper.post(url, address_form(**{"shipping-line1": "1 High St\r\n"}), page=url).status_code == 302


def test_search_with_a_control_character_is_400(client, db) -> None:
    response = client.get("/search/", {"q": "candle\x00"})
    assert response.status_code == 400
    assert "U+0000" in response.content.decode()


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\n"])
def test_address_book_answers_a_field_error_and_stores_nothing(client, character) -> None:
    client.force_login(make_user())
    data = {
        "full_name": f"Ann{character}Example",
        "line1": "1 High St",
        "city": "York",
        "postal_code": "YO1 7HH",
        "country": "GB",
    }
    response = client.post(reverse("accounts:address_create"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["full_name"]
    assert f"U+{ord(character):04X}" in form.errors["full_name"][0]
    assert not Address.objects.exists()


def test_order_lookup_answers_a_field_error(client, db) -> None:
    response = client.post(reverse("orders:lookup"), {"number": "A\x00B", "email": "a@example.com"})
    assert response.status_code in (400, 422)
    assert "number" in response.context["form"].errors


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        (
            "/_allauth/app/v1/auth/login",
            {"email": "ann\x00@example.com", "password": "pass phrase 42"},
            "email",
        ),
        (
            "/_allauth/app/v1/auth/signup",
            {"email": "new@example.com", "password": "pass\x00phrase 42"},
            "password",
        ),
        ("/_allauth/browser/v1/auth/password/request", {"email": "a\x00@example.com"}, "email"),
    ],
)
def test_allauth_headless_refuses_a_nul_in_its_own_format(db, path, body, param) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert param in {error.get("param") for error in response.json()["errors"]}
    assert not get_user_model().objects.filter(email="new@example.com").exists()


ADDRESS = {"full_name": "Ann", "line1": "1 High St", "city": "London", "postal_code": "N1", "country": "GB"}


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\n", "\x85"])
def test_a_form_refuses_control_characters_as_a_field_error(db, character: str) -> None:
    form = AddressForm({**ADDRESS, "line1": f"1 High{character}St"})
    assert not form.is_valid()
    assert list(form.errors) == ["line1"]
    assert f"U+{ord(character):04X}" in form.errors["line1"][0]
    assert len(form.errors["line1"]) == 1  # not Django's own NUL message as well


def _shop_forms() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(shopstack.__path__, "shopstack."):
        if ".tests" not in module.name and ".migrations" not in module.name:
            importlib.import_module(module.name)
    found, pending = [], list(forms.BaseForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith("shopstack.") and ".tests" not in form.__module__:
            found.append(form)
    return found


def test_every_form_of_the_shops_pages_uses_the_mixin() -> None:
    # Admin forms (staff only) are behind the page middleware, which refuses the same
    # characters (TAB, LF, CR aside) before any admin view runs.
    page_forms = [form for form in _shop_forms() if ".admin" not in form.__module__]
    assert {form.__name__ for form in page_forms} >= {"AddressForm", "ProfileForm", "LookupForm"}
    missing = [
        f"{form.__module__}.{form.__name__}"
        for form in page_forms
        if not issubclass(form, RefusesControlCharacters)
    ]
    assert missing == []
