"""price_cart against the database: prices come from the catalogue, tax from the seeded rates."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopstack.catalog.models import ProductVariant
from shopstack.core.errors import ValidationFailed
from shopstack.pricing.models import PricingSettings, TaxClass, TaxRate, Voucher
from shopstack.pricing.services import LineInput, price_cart
from shopstack.testing.factories import make_product
from shopstack.testing.pricing import make_tax_rate, make_voucher, set_prices_include_tax, set_tax_class

pytestmark = pytest.mark.usefixtures("tax_seed")
D = Decimal


@pytest.fixture
def cart():
    """Two mugs at £12.00 (standard rate) and a cookbook at £10.50 (reduced rate)."""
    mug = make_product(name="Mug", price="12.00")
    book = make_product(name="Cookbook", price="10.50")
    set_tax_class(book, "reduced")
    return [LineInput(mug.variants.get().pk, 2), LineInput(book.variants.get().pk, 1)]


def test_seed_has_the_uk_rates_and_the_eu_standard_rates():
    rates = {(r.tax_class.slug, r.country): r.rate for r in TaxRate.objects.select_related("tax_class")}
    assert rates[("standard", "GB")] == D("20")
    assert rates[("reduced", "GB")] == D("5")
    assert rates[("zero", "GB")] == D("0")
    assert rates[("standard", "FI")] == D("25.5")
    assert rates[("standard", "DE")] == D("19")
    assert rates[("standard", "HU")] == D("27")
    assert len([key for key in rates if key[0] == "standard"]) == 28  # GB + 27 member states
    assert TaxClass.objects.get(is_default=True).slug == "standard"
    assert PricingSettings.objects.get().prices_include_tax is True


def test_seed_keeps_rates_the_shop_has_edited():
    TaxRate.objects.filter(country="DE", tax_class__slug="standard").update(rate=D("16"))
    importlib.import_module("shopstack.pricing.migrations.0002_seed_tax_rates").seed(apps, None)
    assert TaxRate.objects.get(country="DE", tax_class__slug="standard").rate == D("16")


def test_uk_cart_prices_include_vat(cart):
    priced = price_cart(lines=cart, country="gb", shipping_price=D("3.99"))
    assert priced.currency == "GBP"
    assert priced.country == "GB"
    assert [line.unit_price for line in priced.lines] == [D("12.00"), D("10.50")]
    assert [line.tax_rate for line in priced.lines] == [D("20"), D("5")]
    assert [line.tax_class for line in priced.lines] == ["standard", "reduced"]
    assert [(line.net, line.tax, line.gross) for line in priced.lines] == [
        (D("20.00"), D("4.00"), D("24.00")),
        (D("10.00"), D("0.50"), D("10.50")),
    ]
    assert (priced.subtotal, priced.discount, priced.shipping) == (D("34.50"), D("0.00"), D("3.99"))
    # Shipping at the standard rate: the 20% group is 24.00 + 3.99 = 27.99, tax 4.665 -> 4.67.
    assert priced.shipping_tax_rate == D("20")
    assert priced.shipping_tax == D("0.67")
    assert [(t.rate, t.net, t.tax, t.gross) for t in priced.taxes] == [
        (D("5"), D("10.00"), D("0.50"), D("10.50")),
        (D("20"), D("23.32"), D("4.67"), D("27.99")),
    ]
    assert (priced.tax, priced.total) == (D("5.17"), D("38.49"))
    assert priced.free_shipping_subtotal == D("34.50")


def test_shipping_abroad_keeps_the_gross_price_and_includes_the_destination_rate(cart):
    priced = price_cart(lines=cart, country="DE", shipping_price=D("3.99"))
    assert priced.total == D("38.49")  # the same price the UK shopper pays
    # Germany has no reduced rate in the seed: the cookbook falls back to the standard 19%.
    assert {line.tax_rate for line in priced.lines} == {D("19")}
    assert priced.tax == D("6.15")  # 38.49 * 19 / 119 = 6.1454..., rounded once


def test_a_country_without_rates_pays_no_tax(cart):
    priced = price_cart(lines=cart, country="US", shipping_price=D("3.99"))
    assert priced.tax == D("0.00")
    assert priced.total == D("38.49")
    assert all(line.net == line.gross for line in priced.lines)


def test_a_region_rate_wins_over_the_country_rate(cart):
    make_tax_rate(slug="standard", country="ES", region="ES-CN", rate="0")
    make_tax_rate(slug="reduced", country="ES", region="ES-CN", rate="0")
    assert price_cart(lines=cart, country="ES", region="es-cn").tax == D("0.00")
    assert price_cart(lines=cart, country="ES").tax > 0


def test_net_prices_have_tax_added(cart):
    set_prices_include_tax(False)
    priced = price_cart(lines=cart, country="GB", shipping_price=D("3.99"))
    assert priced.prices_include_tax is False
    assert [(line.net, line.tax, line.gross) for line in priced.lines] == [
        (D("24.00"), D("4.80"), D("28.80")),
        (D("10.50"), D("0.53"), D("11.03")),
    ]
    # 20% on 27.99 = 5.598 -> 5.60; 5% on 10.50 = 0.525 -> 0.53.
    assert (priced.tax, priced.total) == (D("6.13"), D("44.62"))
    assert priced.free_shipping_subtotal == D("39.83")


def test_a_zero_rated_product_bears_no_uk_tax():
    kids = make_product(name="Child's coat", price="25.00")
    set_tax_class(kids, "zero")
    priced = price_cart(lines=[LineInput(kids.variants.get().pk, 1)], country="GB")
    assert priced.tax == D("0.00")
    assert priced.total == D("25.00")


def test_a_percentage_voucher_is_spread_over_the_lines_for_tax(cart):
    make_voucher(code="TENOFF", kind=Voucher.Kind.PERCENTAGE, value="10")
    priced = price_cart(lines=cart, country="GB", shipping_price=D("3.99"), voucher_code=" tenoff ")
    assert priced.voucher_code == "TENOFF"
    assert priced.goods_discount == D("3.45")
    assert [line.discount for line in priced.lines] == [D("2.40"), D("1.05")]
    assert [line.gross for line in priced.lines] == [D("21.60"), D("9.45")]
    # 20% group: 21.60 + 3.99 = 25.59 -> 4.265 -> 4.27; 5% group: 9.45 -> 0.45.
    assert (priced.tax, priced.total) == (D("4.72"), D("35.04"))
    assert priced.free_shipping_subtotal == D("31.05")


def test_a_free_shipping_voucher_takes_the_shipping_and_its_tax_off(cart):
    make_voucher(code="POSTFREE", kind=Voucher.Kind.FREE_SHIPPING, value="0")
    priced = price_cart(lines=cart, country="GB", shipping_price=D("3.99"), voucher_code="postfree")
    assert (priced.shipping, priced.shipping_discount, priced.discount) == (D("3.99"), D("3.99"), D("3.99"))
    assert priced.goods_discount == D("0.00")
    assert (priced.shipping_tax, priced.tax, priced.total) == (D("0.00"), D("4.50"), D("34.50"))


def test_a_fixed_voucher_never_makes_the_total_negative():
    cheap = make_product(price="4.00")
    make_voucher(code="FIVER", kind=Voucher.Kind.FIXED_AMOUNT, value="5")
    priced = price_cart(lines=[LineInput(cheap.variants.get().pk, 1)], country="GB", voucher_code="FIVER")
    assert (priced.discount, priced.tax, priced.total) == (D("4.00"), D("0.00"), D("0.00"))


def test_prices_come_from_the_database_and_a_price_change_shows_at_once(cart):
    ProductVariant.objects.filter(pk=cart[0].variant_id).update(price_amount=D("15.00"))
    priced = price_cart(lines=cart, country="GB")
    assert priced.lines[0].unit_price == D("15.00")
    assert priced.total == D("40.50")


def test_pricing_takes_a_few_queries_whatever_the_cart_size():
    lines = [LineInput(make_product(price="1.00").variants.get().pk, 1) for _ in range(12)]
    with CaptureQueriesContext(connection) as queries:
        price_cart(lines=lines, country="GB", shipping_price=D("1.00"))
    # Variants, their tax classes, the pricing stamp, and this process's first read of the
    # settings, the default class and the rates.
    assert len(queries) <= 6
    with CaptureQueriesContext(connection) as queries:
        price_cart(lines=lines, country="GB", shipping_price=D("1.00"))
    assert len(queries) <= 3  # the rates are kept while the stamp stays the same


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [(0, "zero"), (1000, "too many"), (-1, "negative"), ("2", "text"), (True, "bool"), (1.5, "float")],
)
def test_a_bad_quantity_is_refused_with_a_field_message(cart, quantity, reason):
    with pytest.raises(ValidationFailed) as caught:
        price_cart(lines=[cart[0], LineInput(cart[1].variant_id, quantity)], country="GB")
    assert caught.value.status == 422
    assert caught.value.fields == {"quantity": ["Line 2: enter a whole number from 1 to 999."]}, reason


def test_the_largest_quantity_is_accepted(cart):
    assert price_cart(lines=[LineInput(cart[0].variant_id, 999)], country="GB").total == D("11988.00")


def test_an_unknown_or_unpublished_variant_is_refused(cart):
    hidden = make_product(published=False)
    for variant_id in (hidden.variants.get().pk, 987654):
        with pytest.raises(ValidationFailed) as caught:
            price_cart(lines=[cart[0], LineInput(variant_id, 1)], country="GB")
        assert caught.value.fields == {"variant": ["Line 2: this product is not available any more."]}


@pytest.mark.parametrize(
    ("country", "message"),
    [
        ("UK", "Use GB, the ISO 3166 code, instead of UK."),
        ("GBR", "Enter a two-letter ISO country code."),
        ("", "Enter a two-letter ISO country code."),
        ("G1", "Enter a two-letter ISO country code."),
    ],
)
def test_a_bad_country_is_refused(cart, country, message):
    with pytest.raises(ValidationFailed) as caught:
        price_cart(lines=cart, country=country)
    assert caught.value.fields == {"country": [message]}


def test_an_empty_cart_and_bad_shipping_are_refused(cart):
    with pytest.raises(ValidationFailed) as caught:
        price_cart(lines=[], country="GB")
    assert caught.value.fields == {"lines": ["Add at least one item."]}
    with pytest.raises(ValidationFailed) as caught:
        price_cart(lines=cart, country="GB", shipping_price=D("-1"))
    assert list(caught.value.fields) == ["shipping_price"]


def test_a_bad_voucher_code_refuses_the_pricing_and_changes_nothing(cart):
    voucher = make_voucher(code="BIGSPEND", min_spend="100.00")
    with pytest.raises(ValidationFailed) as caught:
        price_cart(lines=cart, country="GB", voucher_code="BIGSPEND")
    assert caught.value.code == "voucher_min_spend"
    assert caught.value.fields == {"voucher": ["Spend at least £100.00 on items to use this voucher."]}
    voucher.refresh_from_db()
    assert voucher.used_count == 0
    assert not voucher.redemptions.exists()
