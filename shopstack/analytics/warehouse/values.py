"""The shop's values as the warehouse keeps them: money in minor units, countries as ISO codes."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pycountry

from shopstack.accounts.countries import is_country_code
from shopstack.core.money import minor_units, quantize

# Names in imported data (the Online Retail history) that no ISO standard spells this way.
_COUNTRY_ALIASES = {"EIRE": "IE", "RSA": "ZA", "UK": "GB"}


@cache
def _digits(currency: str) -> int:
    return minor_units(currency)


def to_minor(amount: Decimal | None, currency: str) -> int | None:
    """`amount` as an integer of the currency's minor units (pence for GBP, yen for JPY).
    Amounts are stored with at least the currency's precision, so this is exact; a stray
    extra digit (payments keep three) is rounded as the shop rounds money."""
    if amount is None:
        return None
    digits = _digits(currency)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -digits:
        return int(amount.scaleb(digits))  # no digit beyond the minor unit: exact as it is
    return int(quantize(Decimal(amount), currency).scaleb(digits))


@cache
def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code for a country given as a code or a name, else ""
    ("Channel Islands" or "Unspecified" name no one country)."""
    text = (value or "").strip()
    if not text:
        return ""
    if is_country_code(text.upper()) and len(text) == 2:
        return text.upper()
    alias = _COUNTRY_ALIASES.get(text.upper())
    if alias:
        return alias
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return ""
