from decimal import Decimal

import pytest

from shopstack.catalog.selectors import (
    ProductFilters,
    catalog_version,
    category_descendant_ids,
    product_list,
    product_version,
    variant_availability,
)
from shopstack.catalog.services import products_change_price, variant_set_price
from shopstack.core.errors import ValidationFailed
from shopstack.inventory.services import stock_set_quantity
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def test_filters_by_category_subtree_price_stock_and_attribute():
    home = make_category(name="Home")
    candles = make_category(name="Candles", parent=home)
    red = make_product(name="Red candle", price="3.00", category=candles, attributes={"Colour": "Red"})
    make_product(name="Blue candle", price="3.00", category=candles, attributes={"Colour": "Blue"})
    make_product(name="Dear candle", price="30.00", category=candles, attributes={"Colour": "Red"})
    sold_out = make_product(name="Empty candle", price="2.00", category=candles, stock=0)
    make_product(name="Mug", price="3.00")

    filters = ProductFilters(
        category_ids=category_descendant_ids(home),
        max_price=Decimal("5"),
        in_stock=True,
        attributes={"colour": ("red",)},
    )
    assert list(product_list(filters=filters)) == [red]
    assert sold_out.in_stock is False


def test_refuses_bad_price_ranges_and_sorts():
    with pytest.raises(ValidationFailed) as excinfo:
        ProductFilters(min_price=Decimal(10), max_price=Decimal(5))
    assert "max_price" in excinfo.value.fields
    with pytest.raises(ValidationFailed):
        ProductFilters(min_price=Decimal(-1))
    with pytest.raises(ValidationFailed) as excinfo:
        product_list(filters=ProductFilters(), sort="random")
    assert "sort" in excinfo.value.fields


def test_sorts_are_total_orders():
    products = [make_product(price="5.00") for _ in range(3)]
    ids = [p.pk for p in product_list(filters=ProductFilters(), sort="price")]
    assert ids == sorted(p.pk for p in products)


def test_price_and_stock_changes_move_the_product_version():
    product = make_product(price="4.00")
    first = product_version(slug=product.slug)
    first_catalog = catalog_version()
    assert first is not None
    assert first[0] == product.pk

    variant = product.variants.get()
    variant_set_price(actor=None, variant=variant, price=Decimal("5.00"))
    second = product_version(slug=product.slug)
    assert second[1] > first[1]
    assert catalog_version() > first_catalog

    stock_set_quantity(actor=None, variant=variant, warehouse=variant.stocks.get().warehouse, quantity=0)
    product.refresh_from_db()
    assert product.in_stock is False
    assert product_version(pk=product.pk)[1] > second[1]


def test_price_change_rounds_once_and_refuses_negative_prices_as_a_whole():
    cheap = make_product(price="1.00")
    dear = make_product(price="10.00")
    products_change_price(actor=None, product_ids=[cheap.pk, dear.pk], percent=Decimal("-33.333"))
    assert cheap.variants.get().price_amount == Decimal("0.67")
    assert dear.variants.get().price_amount == Decimal("6.67")
    with pytest.raises(ValidationFailed):
        products_change_price(actor=None, product_ids=[cheap.pk, dear.pk], amount=Decimal("-5"))
    assert dear.variants.get().price_amount == Decimal("6.67")


def test_unpublished_products_have_no_version():
    product = make_product(published=False)
    assert product_version(slug=product.slug) is None


def test_versions_are_timezone_aware_on_every_database():
    product = make_product()
    _, product_stamp = product_version(slug=product.slug)
    catalog_stamp = catalog_version()
    assert product_stamp.tzinfo is not None
    assert catalog_stamp.tzinfo is not None
    assert catalog_stamp >= product_stamp
    assert abs((product_stamp - product.updated_at).total_seconds()) < 1e-3


def test_reserved_units_are_not_for_sale_and_the_listing_flag_follows():
    from shopstack.inventory.services import stock_release, stock_reserve

    product = make_product(stock=2)
    variant = product.variants.get()
    stock_reserve(ref="checkout:a", lines=[(variant.pk, 2)])
    product.refresh_from_db()
    assert product.in_stock is False
    assert variant_availability(variant_ids=[variant.pk]) == {variant.pk: 0}
    stock_release(ref="checkout:a")
    product.refresh_from_db()
    assert product.in_stock is True
    assert variant_availability(variant_ids=[variant.pk]) == {variant.pk: 2}
