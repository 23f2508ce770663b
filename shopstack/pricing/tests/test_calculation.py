"""The arithmetic of a priced cart, without a database: allocation and rounding-once proofs."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shopstack.core.money import quantize
from shopstack.pricing.calculation import Adjustments, LineSpec, allocate, cart_compute, tax_of
from shopstack.pricing.models import Voucher
from shopstack.pricing.services import voucher_discount

CENT = Decimal("0.01")
RATES = [Decimal(rate) for rate in ("0", "5", "17", "19", "20", "21", "25.5", "27")]


def cents(n: int) -> Decimal:
    return Decimal(n) * CENT


def spec(unit: str, quantity: int, rate: str, number: int = 1) -> LineSpec:
    return LineSpec(
        variant_id=number,
        product_id=number,
        sku=f"S{number}",
        name=f"Item {number}",
        quantity=quantity,
        unit_price=Decimal(unit),
        tax_rate=Decimal(rate),
        tax_class="standard",
    )


def is_rounded(amount: Decimal) -> bool:
    return amount == quantize(amount, "GBP") and amount.as_tuple().exponent == -2


def test_allocate_splits_in_proportion_and_adds_up():
    assert allocate(Decimal("10.00"), [Decimal("1.00")] * 3, "GBP") == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]
    assert allocate(Decimal("3.45"), [Decimal("24.00"), Decimal("10.50")], "GBP") == [
        Decimal("2.40"),
        Decimal("1.05"),
    ]
    assert allocate(Decimal("0.00"), [Decimal("0.00"), Decimal("0.00")], "GBP") == [Decimal("0.00")] * 2


def test_allocate_refuses_what_cannot_be_split():
    with pytest.raises(ValueError, match="over nothing"):
        allocate(Decimal("1.00"), [Decimal("0.00")], "GBP")
    with pytest.raises(ValueError, match="not rounded"):
        allocate(Decimal("1.001"), [Decimal("1.00")], "GBP")


def test_allocate_uses_the_currency_minor_unit():
    assert allocate(Decimal("100"), [Decimal("1"), Decimal("2")], "JPY") == [Decimal("33"), Decimal("67")]


@given(
    total=st.integers(min_value=0, max_value=10**7),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12),
)
def test_allocate_property(total, weights):
    if sum(weights) == 0:
        total = 0
    total = min(total, sum(weights))
    parts = allocate(cents(total), [cents(w) for w in weights], "GBP")
    assert sum(parts) == cents(total)
    for part, weight in zip(parts, weights, strict=True):
        assert Decimal(0) <= part <= cents(weight)
        if sum(weights):
            exact = cents(total) * cents(weight) / cents(sum(weights))
            assert abs(part - exact) < CENT


def test_included_and_added_tax():
    assert tax_of(Decimal("12.00"), Decimal("20"), prices_include_tax=True) == Decimal("2.00")
    assert tax_of(Decimal("10.00"), Decimal("20"), prices_include_tax=False) == Decimal("2.00")
    assert tax_of(Decimal("0.03"), Decimal("20"), prices_include_tax=True) == Decimal("0.005")


def test_uk_cart_with_two_rates_and_shipping():
    cart = cart_compute(
        [spec("12.00", 2, "20", 1), spec("10.50", 1, "5", 2)],
        Adjustments(shipping=Decimal("3.99"), shipping_rate=Decimal("20")),
        prices_include_tax=True,
        currency="GBP",
    )
    assert (cart.subtotal, cart.shipping, cart.total) == (Decimal("34.50"), Decimal("3.99"), Decimal("38.49"))
    # 20% group: (24.00 + 3.99) / 6 = 4.665, rounded once to 4.67; 5% group: 10.50 / 21 = 0.50.
    assert [(t.rate, t.tax) for t in cart.taxes] == [
        (Decimal("5"), Decimal("0.50")),
        (Decimal("20"), Decimal("4.67")),
    ]
    assert cart.tax == Decimal("5.17")
    assert [line.tax for line in cart.lines] == [Decimal("4.00"), Decimal("0.50")]
    assert cart.shipping_tax == Decimal("0.67")


line_strategy = st.tuples(
    st.integers(min_value=0, max_value=200_000),
    st.integers(min_value=1, max_value=999),
    st.sampled_from(RATES),
)


@settings(max_examples=300, deadline=None)
@given(
    raw_lines=st.lists(line_strategy, min_size=1, max_size=8),
    discount_share=st.fractions(min_value=0, max_value=1),
    shipping_cents=st.integers(min_value=0, max_value=5_000),
    shipping_rate=st.sampled_from(RATES),
    free_shipping=st.booleans(),
    include_tax=st.booleans(),
)
def test_shown_figures_add_up(
    raw_lines, discount_share, shipping_cents, shipping_rate, free_shipping, include_tax
):
    specs = [spec(str(cents(unit)), qty, str(rate), n) for n, (unit, qty, rate) in enumerate(raw_lines, 1)]
    subtotal_cents = sum(unit * qty for unit, qty, _ in raw_lines)
    goods_discount = cents(int(subtotal_cents * discount_share))
    shipping = cents(shipping_cents)
    cart = cart_compute(
        specs,
        Adjustments(
            goods_discount=goods_discount,
            shipping=shipping,
            shipping_discount=shipping if free_shipping else Decimal(0),
            shipping_rate=shipping_rate,
        ),
        prices_include_tax=include_tax,
        currency="GBP",
    )
    shown = [cart.subtotal, cart.discount, cart.shipping, cart.tax, cart.total, cart.free_shipping_subtotal]
    shown += [
        figure
        for line in cart.lines
        for figure in (line.subtotal, line.discount, line.net, line.tax, line.gross)
    ]
    shown += [figure for row in cart.taxes for figure in (row.net, row.tax, row.gross)]
    assert all(is_rounded(figure) for figure in shown)  # no sub-penny residue anywhere
    assert all(figure >= 0 for figure in shown)  # tax (and everything else) never negative
    assert sum(line.subtotal for line in cart.lines) == cart.subtotal
    assert sum(line.discount for line in cart.lines) == cart.goods_discount == goods_discount
    if include_tax:
        assert sum(line.subtotal for line in cart.lines) - cart.discount + cart.shipping == cart.total
        assert all(line.gross == line.subtotal - line.discount for line in cart.lines)
    else:
        assert cart.subtotal - cart.discount + cart.shipping + cart.tax == cart.total
        assert all(line.net == line.subtotal - line.discount for line in cart.lines)
    assert all(line.net + line.tax == line.gross for line in cart.lines)
    assert sum(row.gross for row in cart.taxes) == cart.total
    assert sum(row.tax for row in cart.taxes) == cart.tax
    assert sum(row.net for row in cart.taxes) + cart.tax == cart.total
    assert sum(line.tax for line in cart.lines) + cart.shipping_tax == cart.tax
    # Rounded once per rate: each rate's tax is within half a penny of the exact figure.
    for row in cart.taxes:
        base = row.gross if include_tax else row.net
        assert abs(row.tax - tax_of(base, row.rate, prices_include_tax=include_tax)) <= Decimal("0.005")


@given(
    subtotal_cents=st.integers(min_value=0, max_value=10**8),
    percent=st.integers(min_value=1, max_value=10_000),
    fixed_cents=st.integers(min_value=1, max_value=10**7),
)
def test_voucher_discounts_are_rounded_once_and_never_exceed_the_subtotal(
    subtotal_cents, percent, fixed_cents
):
    subtotal = cents(subtotal_cents)
    percentage = Voucher(kind=Voucher.Kind.PERCENTAGE, value=cents(percent))
    fixed = Voucher(kind=Voucher.Kind.FIXED_AMOUNT, value=cents(fixed_cents))
    off = voucher_discount(voucher=percentage, subtotal=subtotal, shipping=Decimal("4.99"), currency="GBP")
    assert is_rounded(off)
    assert off == quantize(subtotal * cents(percent) / 100, "GBP")
    assert Decimal(0) <= off <= subtotal
    fixed_off = voucher_discount(voucher=fixed, subtotal=subtotal, shipping=Decimal("4.99"), currency="GBP")
    assert fixed_off == min(cents(fixed_cents), subtotal)


def test_free_shipping_voucher_discounts_the_shipping():
    voucher = Voucher(kind=Voucher.Kind.FREE_SHIPPING, value=Decimal(0))
    off = voucher_discount(
        voucher=voucher, subtotal=Decimal("10.00"), shipping=Decimal("4.99"), currency="GBP"
    )
    assert off == Decimal("4.99")
