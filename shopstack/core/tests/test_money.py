from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstack.core.money import Money, format_money, parse_amount, quantize


def test_rounds_half_up_to_the_currency_minor_unit():
    assert quantize(Decimal("2.345"), "GBP") == Decimal("2.35")
    assert quantize(Decimal("2.344"), "GBP") == Decimal("2.34")
    assert quantize(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert quantize(Decimal("1.2345"), "KWD") == Decimal("1.235")


def test_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        Money(2.5, "GBP")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_amount(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="different currencies"):
        Money(Decimal(1), "GBP") + Money(Decimal(1), "EUR")


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", ""])
def test_parse_amount_refuses_what_is_not_a_finite_number(text):
    with pytest.raises(ValueError, match="amount"):
        parse_amount(text)


def test_formats_with_symbol_and_grouping():
    assert format_money(Decimal("1234.5"), "GBP") == "£1,234.50"
    assert format_money(Decimal("-3"), "EUR") == "-€3.00"
    assert format_money(Decimal("7"), "CHF") == "7.00 CHF"


@given(
    st.lists(st.decimals(min_value=0, max_value=10_000, places=2), min_size=1, max_size=20),
    st.integers(min_value=1, max_value=50),
)
def test_sum_of_quantized_line_totals_has_no_sub_penny_residue(prices, quantity):
    total = sum((Money(p, "GBP") * quantity for p in prices), Money(Decimal(0), "GBP")).quantized()
    assert total.amount == total.amount.quantize(Decimal("0.01"))
    assert total.amount == sum(p * quantity for p in prices)
