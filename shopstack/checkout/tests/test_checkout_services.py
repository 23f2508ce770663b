"""Checkout steps: what each accepts, what it refuses (with the field), and that a refusal
changes nothing; stock reserved at start and checked again later; the server's prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shopstack.accounts.models import Address
from shopstack.checkout import selectors, services
from shopstack.checkout.models import Cart, Checkout
from shopstack.core.errors import Conflict, NotFound, ValidationFailed
from shopstack.inventory.selectors import reservations_active, variant_available
from shopstack.pricing.models import Voucher
from shopstack.testing.cart import make_cart, variant_of
from shopstack.testing.checkout import (
    ADDRESS,
    EMAIL,
    FRENCH_ADDRESS,
    checkout_state,
    ensure_checkout_data,
    make_checkout,
    method,
)
from shopstack.testing.factories import make_product
from shopstack.testing.inventory import stock_snapshot
from shopstack.testing.pricing import make_voucher

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data(db: None) -> None:
    ensure_checkout_data()


@pytest.fixture
def mug(db: None):
    return make_product(name="Enamel mug", price="10.00", stock=3)


# Starting ------------------------------------------------------------------------------------


def test_start_reserves_the_cart_for_the_checkout(mug) -> None:
    cart = make_cart(lines={mug: 2})
    checkout = services.checkout_start(cart=cart)
    held = reservations_active(ref=f"checkout:{checkout.token}")
    assert [(r.variant_id, r.quantity) for r in held] == [(variant_of(mug).pk, 2)]
    assert variant_available(variant_id=variant_of(mug).pk) == 1
    assert checkout.reserved_until is not None
    # The cart page does not count the shopper's own reservation against them.
    assert not selectors.cart_summary(cart).has_problems


def test_start_again_reuses_the_open_checkout_and_one_reservation(mug) -> None:
    cart = make_cart(lines={mug: 3})
    first = services.checkout_start(cart=cart)
    again = services.checkout_start(cart=cart)
    assert again.pk == first.pk
    assert variant_available(variant_id=variant_of(mug).pk) == 0
    assert Checkout.objects.filter(cart=cart).count() == 1


def test_start_refuses_an_empty_cart() -> None:
    cart = make_cart()
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_start(cart=cart)
    assert refused.value.fields == {"cart": ["Your cart is empty."]}
    assert not Checkout.objects.exists()


def test_start_refuses_a_short_cart_as_out_of_stock(mug) -> None:
    cart = make_cart(lines={mug: 5})  # only 3 mugs left
    before = stock_snapshot()
    with pytest.raises(Conflict) as refused:
        services.checkout_start(cart=cart)
    assert refused.value.code == "out_of_stock"
    assert refused.value.message == services.OUT_OF_STOCK
    short = "Enamel mug: Only 3 left; please lower the quantity in your cart."
    assert refused.value.fields == {"cart": [short]}
    assert not Checkout.objects.exists()
    assert stock_snapshot() == before


def test_start_refuses_a_cart_with_problems(mug) -> None:
    hidden = make_product(name="Withdrawn vase", published=False)
    cart = make_cart(lines={mug: 5, hidden: 1})  # only 3 mugs left
    before = stock_snapshot()
    with pytest.raises(Conflict) as refused:
        services.checkout_start(cart=cart)
    assert refused.value.code == "cart_has_problems"
    assert any("Only 3 left" in text for text in refused.value.fields["cart"])
    assert any("Withdrawn vase" in text for text in refused.value.fields["cart"])
    assert not Checkout.objects.exists()
    assert stock_snapshot() == before


def test_customer_checkout_uses_account_email_and_default_address(mug) -> None:
    user = get_user_model().objects.create_user(email="bob@example.com", password="x" * 20)
    Address.objects.create(user=user, is_default_shipping=True, **{**ADDRESS, "full_name": "Bob"})
    checkout = services.checkout_start(cart=make_cart(customer=user, lines={mug: 1}), customer=user)
    assert checkout.email == "bob@example.com"
    assert checkout.shipping_address["full_name"] == "Bob"
    assert checkout.shipping_address["country"] == "GB"
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_contact(checkout=checkout, email="someone@else.example")
    assert "email" in refused.value.fields
    assert Checkout.objects.get(pk=checkout.pk).email == "bob@example.com"


# Contact and address --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter your email address."),
        ("   ", "Enter your email address."),
        ("not-an-email", "Enter a valid email address"),
        ("a@b", "Enter a valid email address"),
        ("x" * 250 + "@example.com", "Enter a valid email address"),
    ],
)
def test_contact_refuses_bad_email(mug, email: str, message: str) -> None:
    checkout = make_checkout(lines={mug: 1}, email=EMAIL, address=None, shipping=None)
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_contact(checkout=checkout, email=email)
    assert message in refused.value.fields["email"][0]
    assert Checkout.objects.get(pk=checkout.pk).email == EMAIL


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"full_name": ""}, "shipping.full_name", "This field is required."),
        ({"line1": "  "}, "shipping.line1", "This field is required."),
        ({"city": ""}, "shipping.city", "This field is required."),
        ({"postal_code": ""}, "shipping.postal_code", "This field is required."),
        ({"country": ""}, "shipping.country", "This field is required."),
        ({"country": "UK"}, "shipping.country", "two-letter ISO country code"),
        ({"country": "XX"}, "shipping.country", "two-letter ISO country code"),
        ({"country": "GBR"}, "shipping.country", "At most 2 characters."),
        ({"postal_code": "1" * 17}, "shipping.postal_code", "At most 16 characters."),
    ],
)
def test_address_validation_matrix(mug, change: dict[str, str], field: str, message: str) -> None:
    checkout = make_checkout(lines={mug: 1})
    before = checkout_state(checkout)
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_address(checkout=checkout, shipping={**ADDRESS, **change})
    assert message in refused.value.fields[field][0]
    assert checkout_state(checkout) == before


def test_billing_address_is_validated_under_its_own_prefix(mug) -> None:
    checkout = make_checkout(lines={mug: 1})
    before = checkout_state(checkout)
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_address(
            checkout=checkout, shipping={**ADDRESS, "city": ""}, billing={**ADDRESS, "postal_code": ""}
        )
    assert set(refused.value.fields) == {"shipping.city", "billing.postal_code"}
    assert checkout_state(checkout) == before


def test_address_is_cleaned_and_billing_same_as_shipping_stored_empty(mug) -> None:
    checkout = make_checkout(lines={mug: 1}, address=None, shipping=None)
    services.checkout_set_address(
        checkout=checkout, shipping={**ADDRESS, "country": "gb", "city": "  London "}, billing=dict(ADDRESS)
    )
    row = Checkout.objects.get(pk=checkout.pk)
    assert row.shipping_address["country"] == "GB"
    assert row.shipping_address["city"] == "London"
    assert row.billing_address == {}


def test_moving_abroad_drops_a_method_that_does_not_reach(mug) -> None:
    checkout = make_checkout(lines={mug: 1}, shipping="uk-express")
    services.checkout_set_address(checkout=checkout, shipping=FRENCH_ADDRESS)
    assert Checkout.objects.get(pk=checkout.pk).shipping_method_id is None


# Shipping ---------------------------------------------------------------------------------------


def test_shipping_options_are_those_for_the_country(mug) -> None:
    checkout = make_checkout(lines={mug: 1}, shipping=None)
    summary = services.checkout_summary(checkout=checkout)
    assert [quote.code for quote in summary.shipping_options] == ["uk-standard", "uk-express"]
    services.checkout_set_address(checkout=checkout, shipping=FRENCH_ADDRESS)
    summary = services.checkout_summary(checkout=checkout)
    assert [quote.code for quote in summary.shipping_options] == ["europe-standard"]


def test_shipping_method_not_available_for_the_country_is_refused(mug) -> None:
    checkout = make_checkout(lines={mug: 1}, address=FRENCH_ADDRESS, shipping=None)
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_shipping(checkout=checkout, method_id=method("uk-express").pk)
    assert "Not available for this address" in refused.value.fields["shipping_method"][0]
    assert Checkout.objects.get(pk=checkout.pk).shipping_method_id is None


@pytest.mark.parametrize("value", ["", "abc", "-1", "0", "99999999999999999999", "1.5", None, True])
def test_shipping_method_id_must_be_an_id(mug, value: object) -> None:
    checkout = make_checkout(lines={mug: 1}, shipping=None)
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_shipping(checkout=checkout, method_id=value)  # type: ignore[arg-type]
    assert refused.value.fields["shipping_method"] == ["Choose a shipping method."]
    assert Checkout.objects.get(pk=checkout.pk).shipping_method_id is None


def test_shipping_needs_an_address_first(mug) -> None:
    checkout = make_checkout(lines={mug: 1}, address=None, shipping=None)
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_shipping(checkout=checkout, method_id=method("uk-standard").pk)
    assert refused.value.fields["shipping_method"] == ["Enter the delivery address first."]


def test_weight_picks_the_band_and_free_shipping_uses_the_discounted_subtotal() -> None:
    heavy = make_product(name="Cast iron pan", price="30.00", stock=5)
    heavy.variants.update(weight_grams=1500)
    checkout = make_checkout(lines={heavy: 1})
    summary = services.checkout_summary(checkout=checkout)
    assert summary.weight_grams == 1500
    assert summary.shipping is not None
    assert summary.shipping.price == Decimal("6.95")  # the 1-5 kg band
    pair = make_checkout(lines={heavy: 2})  # 60.00: over the 50.00 threshold
    assert services.checkout_summary(checkout=pair).shipping.price == Decimal("0.00")
    make_voucher(code="HALF", value="50")
    services.checkout_set_voucher(checkout=pair, code="half")
    # 30.00 after the voucher: under the threshold again.
    assert services.checkout_summary(checkout=pair).shipping.price == Decimal("6.95")


# Vouchers --------------------------------------------------------------------------------------


def test_voucher_is_checked_and_priced_by_the_server(mug) -> None:
    make_voucher(code="TENOFF", value="10")
    checkout = make_checkout(lines={mug: 2})
    services.checkout_set_voucher(checkout=checkout, code=" tenoff ")
    summary = services.checkout_summary(checkout=checkout)
    assert summary.priced.voucher_code == "TENOFF"
    assert summary.priced.discount == Decimal("2.00")
    assert summary.priced.total == Decimal("18.00") + Decimal("3.95")
    services.checkout_remove_voucher(checkout=checkout)
    assert services.checkout_summary(checkout=checkout).priced.discount == Decimal("0.00")


@pytest.mark.parametrize(
    ("voucher", "code", "reason"),
    [
        (None, "NOPE", "voucher_unknown"),
        ({"is_active": False}, "OLD", "voucher_inactive"),
        ({"min_spend": Decimal("100")}, "BIG", "voucher_min_spend"),
        ({"usage_limit": 1, "used_count": 1}, "GONE", "voucher_used_up"),
        (None, "", "voucher_missing"),
    ],
)
def test_voucher_errors(mug, voucher: dict | None, code: str, reason: str) -> None:
    if voucher is not None:
        make_voucher(code=code, **voucher)
    checkout = make_checkout(lines={mug: 1})
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_voucher(checkout=checkout, code=code)
    assert refused.value.code == reason
    assert refused.value.fields["voucher"]
    assert Checkout.objects.get(pk=checkout.pk).voucher_code == ""


def test_voucher_that_lapses_later_is_reported_not_applied(mug) -> None:
    make_voucher(code="SOON", value="10")
    checkout = make_checkout(lines={mug: 2}, voucher="SOON")
    Voucher.objects.filter(code="SOON").update(is_active=False)
    summary = services.checkout_summary(checkout=checkout)
    assert summary.priced.discount == Decimal("0.00")
    assert summary.problems["voucher"] == ["This voucher has been withdrawn."]
    assert not summary.ready


# Summary and stock -------------------------------------------------------------------------------


def test_summary_prices_on_the_server_with_tax_and_shipping(mug) -> None:
    summary = services.checkout_summary(checkout=make_checkout(lines={mug: 2}))
    priced = summary.priced
    assert priced.subtotal == Decimal("20.00")
    assert priced.shipping == Decimal("3.95")
    assert priced.total == Decimal("23.95")
    assert priced.tax == Decimal("3.99")  # UK VAT included: 20% of (20.00 + 3.95) / 1.2
    assert summary.ready
    assert [line.quantity for line in summary.lines] == [2]


def test_stock_gone_between_steps_is_a_clear_problem(mug) -> None:
    checkout = make_checkout(lines={mug: 2})
    # The reservation lapses and another shopper buys the mugs.
    Checkout.objects.filter(pk=checkout.pk)
    from shopstack.inventory.models import Reservation, Stock

    Reservation.objects.filter(ref=checkout.reservation_ref).update(status=Reservation.Status.RELEASED)
    Stock.objects.filter(variant=variant_of(mug)).update(reserved=0, quantity=1)
    summary = services.checkout_summary(checkout=checkout)
    assert summary.problems["cart"] == ["Enamel mug: Only 1 left; please lower the quantity in your cart."]
    assert not summary.ready
    with pytest.raises(Conflict) as refused:
        services.checkout_draft(checkout=checkout, payment_token="tok_success")
    assert refused.value.code == "out_of_stock"
    assert refused.value.fields == {"cart": summary.problems["cart"]}


def test_draft_is_built_from_the_server(mug) -> None:
    checkout = make_checkout(lines={mug: 2})
    draft = services.checkout_draft(checkout=checkout, payment_token="tok_success")
    assert draft.checkout_ref == f"checkout:{checkout.token}"
    assert draft.email == EMAIL
    assert draft.total == Decimal("23.95")
    assert draft.shipping_price == Decimal("3.95")
    assert draft.shipping_method_name == "Standard"
    assert draft.lines[0].quantity == 2
    assert draft.lines[0].unit_price == Decimal("10.00")
    assert draft.shipping_address.country == "GB"
    assert draft.billing_address == draft.shipping_address


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ({"email": None}, "email"),
        ({"address": None, "shipping": None}, "shipping_address"),
        ({"shipping": None}, "shipping_method"),
    ],
)
def test_draft_refuses_until_every_step_is_done(mug, steps: dict, field: str) -> None:
    checkout = make_checkout(lines={mug: 1}, **steps)
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_draft(checkout=checkout, payment_token="tok_success")
    assert field in refused.value.fields


@pytest.mark.parametrize(
    "token", ["", "4242424242424242", "4242 4242 4242 4242", "tok with spaces", "x" * 200]
)
def test_payment_token_never_a_card_number(mug, token: str) -> None:
    checkout = make_checkout(lines={mug: 1})
    with pytest.raises(ValidationFailed) as refused:
        services.checkout_set_payment_token(checkout=checkout, token=token)
    assert "payment_token" in refused.value.fields
    assert Checkout.objects.get(pk=checkout.pk).payment_token == ""


def test_payment_token_kept_with_display_details(mug) -> None:
    checkout = make_checkout(lines={mug: 1})
    services.checkout_set_payment_token(checkout=checkout, token="tok_abc123", last4="4242", brand="visa")
    row = Checkout.objects.get(pk=checkout.pk)
    assert (row.payment_token, row.payment_last4, row.payment_brand) == ("tok_abc123", "4242", "visa")


# Ownership -------------------------------------------------------------------------------------


def test_checkout_is_found_only_by_its_owner(mug) -> None:
    user = get_user_model().objects.create_user(email="cy@example.com", password="x" * 20)
    guest = make_checkout(lines={mug: 1})
    mine = make_checkout(lines={make_product(): 1}, customer=user)
    cart_uuid = Cart.objects.get(pk=guest.cart_id).token
    assert selectors.checkout_for(token=str(guest.token), cart_uuid=cart_uuid).pk == guest.pk
    assert selectors.checkout_for(token=str(mine.token), customer_id=user.pk).pk == mine.pk
    for token, owner in [
        (guest.token, {"customer_id": user.pk}),
        (mine.token, {"cart_uuid": cart_uuid}),
        (guest.token, {"cart_uuid": Cart.objects.get(pk=mine.cart_id).token}),
        (guest.token, {}),
        ("not-a-uuid", {"cart_uuid": cart_uuid}),
    ]:
        with pytest.raises(NotFound):
            selectors.checkout_for(token=str(token), **owner)


def test_closed_checkout_cannot_change(mug) -> None:
    checkout = make_checkout(lines={mug: 1})
    Checkout.objects.filter(pk=checkout.pk).update(status=Checkout.Status.ABANDONED)
    with pytest.raises(Conflict) as refused:
        services.checkout_set_contact(checkout=checkout, email="new@example.com")
    assert refused.value.code == "checkout_closed"
    assert Checkout.objects.get(pk=checkout.pk).email == EMAIL
