"""Cart services: finding carts by customer and signed token, the validation matrix for
quantities and variants, stock limits, merge rules and the summary's server-side prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from shopstack.catalog.services import products_set_published, variant_set_price
from shopstack.checkout import selectors, services
from shopstack.checkout.models import Cart, CartLine
from shopstack.core.errors import Conflict, NotFound, ValidationFailed
from shopstack.inventory.models import Warehouse
from shopstack.inventory.services import stock_set_quantity
from shopstack.testing.cart import cart_lines, make_cart, signed_token, variant_of
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(db):
    return make_product(name="Mug", price="2.95", stock=10, code="MUG01")


@pytest.fixture
def customer(db):
    return get_user_model().objects.create_user(email="ann@example.com", password="a long pass phrase 42")


# Finding carts -----------------------------------------------------------------------


def test_guest_cart_is_created_only_when_asked_and_found_by_its_signed_token():
    assert services.cart_for(token=None) is None
    assert Cart.objects.count() == 0
    cart = services.cart_for(create=True)
    token = services.cart_token_sign(cart=cart)
    assert cart.token.hex in token
    assert token != cart.token.hex
    assert services.cart_for(token=token) == cart
    assert services.cart_for(token=token, create=True) == cart
    assert Cart.objects.count() == 1


@pytest.mark.parametrize(
    "forged",
    ["", "nonsense", "{hex}", "{hex}:AAAA", "{other}:{sig}"],
)
def test_unsigned_forged_or_guessed_tokens_find_nothing(forged):
    cart = make_cart()
    other = make_cart()
    sig = signed_token(cart).split(":", 1)[1]
    token = forged.format(hex=cart.token.hex, other=other.token.hex, sig=sig)
    assert services.cart_for(token=token) is None
    assert services.cart_token_unsign(token=token) is None


def test_a_token_never_finds_a_customers_or_closed_cart(customer):
    owned = make_cart(customer=customer)
    merged = make_cart()
    merged.status = Cart.Status.MERGED
    merged.save()
    assert services.cart_for(token=signed_token(owned)) is None
    assert services.cart_for(token=signed_token(merged)) is None


def test_customer_has_one_open_cart(customer):
    first = services.cart_for(customer=customer, create=True)
    assert services.cart_for(customer=customer, create=True) == first
    assert Cart.objects.filter(customer=customer).count() == 1


# Adding and the validation matrix ----------------------------------------------------


def test_add_sums_with_the_quantity_already_in_the_cart(mug):
    cart = make_cart()
    services.cart_add(cart=cart, variant_id=variant_of(mug).pk, quantity=2)
    services.cart_add(cart=cart, variant_id=str(variant_of(mug).pk), quantity="3")
    assert cart_lines(cart) == {"MUG01": 5}


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "Enter at least 1."),
        (-1, "Enter at least 1."),
        ("-1", "Enter at least 1."),
        (1.5, "Enter a whole number."),
        ("1.5", "Enter a whole number."),
        ("abc", "Enter a whole number."),
        ("", "Enter a whole number."),
        (None, "Enter a whole number."),
        (True, "Enter a whole number."),
        (10**9, "Enter at most 999."),
        ("9" * 5000, "Enter at most 999."),
        (1000, "Enter at most 999."),
    ],
)
def test_add_refuses_bad_quantities_with_a_field_message_and_changes_nothing(mug, quantity, message):
    cart = make_cart(lines={mug: 1})
    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(cart=cart, variant_id=variant_of(mug).pk, quantity=quantity)
    assert caught.value.fields == {"quantity": [message]}
    assert cart_lines(cart) == {"MUG01": 1}


@pytest.mark.parametrize("variant_id", [987654, "987654", "abc", -1, 0, 2**70, None])
def test_add_refuses_unknown_variants(mug, variant_id):
    cart = make_cart()
    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(cart=cart, variant_id=variant_id, quantity=1)
    assert caught.value.fields == {"variant_id": ["This product is not available."]}
    assert CartLine.objects.count() == 0


def test_add_refuses_an_unpublished_product_like_an_unknown_one():
    hidden = make_product(name="Secret", published=False)
    cart = make_cart()
    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(cart=cart, variant_id=variant_of(hidden).pk, quantity=1)
    assert caught.value.fields == {"variant_id": ["This product is not available."]}
    assert CartLine.objects.count() == 0


def test_add_above_availability_says_how_many_are_left(mug):
    cart = make_cart()
    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(cart=cart, variant_id=variant_of(mug).pk, quantity=11)
    assert caught.value.fields == {"quantity": ["Only 10 left."]}
    services.cart_add(cart=cart, variant_id=variant_of(mug).pk, quantity=8)
    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(cart=cart, variant_id=variant_of(mug).pk, quantity=3)
    assert caught.value.fields == {"quantity": ["Only 10 left. You already have 8 in your cart."]}
    assert cart_lines(cart) == {"MUG01": 8}


def test_add_out_of_stock_is_refused():
    empty = make_product(name="Sold out", stock=0)
    cart = make_cart()
    with pytest.raises(ValidationFailed) as caught:
        services.cart_add(cart=cart, variant_id=variant_of(empty).pk, quantity=1)
    assert caught.value.fields == {"quantity": ["Sorry, this is out of stock."]}


def test_changes_to_a_closed_cart_are_refused(mug):
    cart = make_cart(lines={mug: 1})
    Cart.objects.filter(pk=cart.pk).update(status=Cart.Status.CONVERTED)
    with pytest.raises(Conflict):
        services.cart_add(cart=cart, variant_id=variant_of(mug).pk, quantity=1)
    with pytest.raises(Conflict):
        services.cart_clear(cart=cart)
    assert cart_lines(cart) == {"MUG01": 1}


# Set, remove, clear ------------------------------------------------------------------


def test_set_quantity_replaces_and_zero_removes(mug):
    cart = make_cart(lines={mug: 1})
    line = services.cart_set_quantity(cart=cart, variant_id=variant_of(mug).pk, quantity="4")
    assert line is not None
    assert cart_lines(cart) == {"MUG01": 4}
    assert services.cart_set_quantity(cart=cart, variant_id=variant_of(mug).pk, quantity=0) is None
    assert cart_lines(cart) == {}


@pytest.mark.parametrize(("quantity", "message"), [(-1, "Enter 0 to remove the item, or more."), ("x", None)])
def test_set_quantity_refuses_bad_input(mug, quantity, message):
    cart = make_cart(lines={mug: 2})
    with pytest.raises(ValidationFailed) as caught:
        services.cart_set_quantity(cart=cart, variant_id=variant_of(mug).pk, quantity=quantity)
    assert "quantity" in caught.value.fields
    if message:
        assert caught.value.fields["quantity"] == [message]
    assert cart_lines(cart) == {"MUG01": 2}


def test_set_quantity_above_stock_and_of_a_line_not_in_the_cart(mug):
    other = make_product(name="Plate")
    cart = make_cart(lines={mug: 2})
    with pytest.raises(ValidationFailed) as caught:
        services.cart_set_quantity(cart=cart, variant_id=variant_of(mug).pk, quantity=11)
    assert caught.value.fields == {"quantity": ["Only 10 left."]}
    with pytest.raises(NotFound):
        services.cart_set_quantity(cart=cart, variant_id=variant_of(other).pk, quantity=1)
    assert cart_lines(cart) == {"MUG01": 2}


def test_remove_and_clear(mug):
    plate = make_product(name="Plate", code="PLATE")
    cart = make_cart(lines={mug: 2, plate: 1})
    services.cart_remove(cart=cart, variant_id=variant_of(mug).pk)
    assert cart_lines(cart) == {"PLATE": 1}
    with pytest.raises(NotFound):
        services.cart_remove(cart=cart, variant_id=variant_of(mug).pk)
    services.cart_clear(cart=cart)
    assert cart_lines(cart) == {}
    assert Cart.objects.get(pk=cart.pk).status == Cart.Status.OPEN


def test_a_cart_never_changes_another_carts_lines(mug):
    mine, theirs = make_cart(lines={mug: 1}), make_cart(lines={mug: 3})
    services.cart_set_quantity(cart=mine, variant_id=variant_of(mug).pk, quantity=2)
    services.cart_remove(cart=mine, variant_id=variant_of(mug).pk)
    assert cart_lines(theirs) == {"MUG01": 3}


# Merge -------------------------------------------------------------------------------


def test_merge_sums_caps_at_stock_and_closes_the_guest_cart(customer, mug):
    plate = make_product(name="Plate", code="PLATE", stock=5)
    gone = make_product(name="Gone", code="GONE")
    guest = make_cart(lines={mug: 6, plate: 2, gone: 1})
    make_cart(customer=customer, lines={mug: 7})
    products_set_published(product_ids=[gone.pk], published=False)

    target = services.cart_merge(guest_cart=guest, customer=customer)

    assert target.customer == customer
    assert cart_lines(target) == {"MUG01": 10, "PLATE": 2}  # 6 + 7 capped at the 10 in stock
    guest.refresh_from_db()
    assert guest.status == Cart.Status.MERGED
    assert services.cart_for(token=signed_token(guest)) is None
    # Merging again changes nothing.
    assert cart_lines(services.cart_merge(guest_cart=guest, customer=customer)) == {"MUG01": 10, "PLATE": 2}


def test_merge_never_lowers_what_the_customer_had(customer, mug):
    guest = make_cart(lines={mug: 1})
    make_cart(customer=customer, lines={mug: 12})  # more than the 10 in stock now
    target = services.cart_merge(guest_cart=guest, customer=customer)
    assert cart_lines(target) == {"MUG01": 12}


def test_merge_creates_the_customers_cart_when_there_is_none(customer, mug):
    guest = make_cart(lines={mug: 2})
    target = services.cart_merge(guest_cart=guest, customer=customer)
    assert target.pk != guest.pk
    assert cart_lines(target) == {"MUG01": 2}


# Summary -----------------------------------------------------------------------------


def test_summary_prices_come_from_the_catalog_now(mug):
    plate = make_product(name="Plate", price="4.50", code="PLATE")
    cart = make_cart(lines={mug: 2, plate: 1})
    summary = selectors.cart_summary(cart)
    assert [(line.sku, line.unit_price, line.line_total) for line in summary.lines] == [
        ("MUG01", Decimal("2.95"), Decimal("5.90")),
        ("PLATE", Decimal("4.50"), Decimal("4.50")),
    ]
    assert summary.subtotal == Decimal("10.40")
    assert summary.item_count == 3
    assert not summary.has_problems

    variant_set_price(actor=None, variant=variant_of(mug), price=Decimal("3.10"))
    assert selectors.cart_summary(cart).subtotal == Decimal("10.70")


def test_summary_flags_lines_out_of_stock_short_or_off_sale(mug):
    plate = make_product(name="Plate", code="PLATE")
    bowl = make_product(name="Bowl", code="BOWL", price="5.00")
    cart = make_cart(lines={mug: 3, plate: 1, bowl: 1})
    main = Warehouse.objects.get(slug="main")
    stock_set_quantity(actor=None, variant=variant_of(mug), warehouse=main, quantity=2)
    stock_set_quantity(actor=None, variant=variant_of(plate), warehouse=main, quantity=0)
    products_set_published(product_ids=[bowl.pk], published=False)

    problems = {line.sku: line.problem for line in selectors.cart_summary(cart).lines}
    assert problems == {
        "MUG01": "Only 2 left; please lower the quantity.",
        "PLATE": "Out of stock.",
        "BOWL": "No longer available; please remove it.",
    }
    summary = selectors.cart_summary(cart)
    assert summary.has_problems
    assert summary.subtotal == Decimal("8.85") + Decimal("9.99")  # the unpublished bowl is left out


def test_summary_and_count_of_no_cart(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.cart_summary(None).is_empty
        assert selectors.cart_item_count(None) == 0
