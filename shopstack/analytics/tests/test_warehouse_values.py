"""Money in minor units and countries as ISO codes, as the warehouse keeps them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopstack.analytics.warehouse.values import country_code, to_minor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("2.95", "GBP", 295),
        ("12.500", "GBP", 1250),  # payments keep three decimal places
        ("12.345", "GBP", 1235),  # a stray third digit is rounded half up, as the shop rounds
        ("-2.95", "GBP", -295),
        ("1000.00", "JPY", 1000),  # yen have no minor unit
        ("1.234", "KWD", 1234),  # dinars have three
        ("99999999.99", "GBP", 9_999_999_999),
    ],
)
def test_amounts_become_exact_integers_of_the_currencys_minor_unit(amount, currency, minor):
    assert to_minor(Decimal(amount), currency) == minor


def test_no_amount_stays_none():
    assert to_minor(None, "GBP") is None


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("GB", "GB"),
        ("gb", "GB"),
        ("United Kingdom", "GB"),
        ("EIRE", "IE"),
        ("RSA", "ZA"),
        ("USA", "US"),
        ("Czech Republic", "CZ"),
        ("Channel Islands", ""),
        ("Unspecified", ""),
        ("", ""),
    ],
)
def test_countries_become_iso_codes_or_nothing(given, code):
    assert country_code(given) == code
