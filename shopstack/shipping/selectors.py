"""Which shipping methods reach an address, and what each costs for an order.

A zone that names the country beats the rest-of-world zone. A method quotes when one of
its rates covers the order's weight (grams) or subtotal, by its kind; rates run from
`min_value` up to and including `max_value`, and where two share a boundary the lower
band wins (exactly 1 kg is in 0-1 kg). From `free_over` on (inclusive) the method is free.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings

from shopstack.accounts.countries import is_country_code
from shopstack.core.errors import ValidationFailed
from shopstack.core.money import quantize
from shopstack.core.reference import ReferenceCache, track_reference_models
from shopstack.shipping.models import ShippingMethod, ShippingRate, ShippingZone

MAX_WEIGHT_GRAMS = 1_000_000


@dataclass(frozen=True, slots=True)
class Quote:
    method_id: int
    code: str
    name: str
    price: Decimal
    free: bool
    min_days: int
    max_days: int
    currency: str


def _clean_order(country: object, weight_grams: object, subtotal: object) -> tuple[str, int, Decimal]:
    problems: dict[str, list[str]] = {}
    code = country.strip().upper() if isinstance(country, str) else ""
    if not is_country_code(code):
        problems["country"] = ["Choose a country (ISO 3166-1 alpha-2 code)."]
    if isinstance(weight_grams, bool) or not isinstance(weight_grams, int) or weight_grams < 0:
        problems["weight_grams"] = ["Must be a whole number of grams, zero or more."]
    elif weight_grams > MAX_WEIGHT_GRAMS:
        problems["weight_grams"] = [f"At most {MAX_WEIGHT_GRAMS} grams."]
    amount = subtotal if isinstance(subtotal, Decimal) else None
    if isinstance(subtotal, int) and not isinstance(subtotal, bool):
        amount = Decimal(subtotal)
    if amount is None or not amount.is_finite() or amount < 0:
        problems["subtotal"] = ["Must be an amount, zero or more."]
    if problems:
        raise ValidationFailed("The order cannot be quoted for shipping.", fields=problems)
    return code, weight_grams, amount  # type: ignore[return-value]


class _ActiveMethod(NamedTuple):
    method: ShippingMethod
    rates: tuple[ShippingRate, ...]  # by min_value: the lower band wins a shared boundary


class _ShippingReference(NamedTuple):
    zones: tuple[ShippingZone, ...]
    methods: dict[int, tuple[_ActiveMethod, ...]]  # by zone id, in position order


def _load() -> _ShippingReference:
    """Every zone and active method with its rates: a shop has tens, and every priced
    checkout request asks (kept per process, see `track_changes`). Read-only copies."""
    methods: dict[int, list[_ActiveMethod]] = {}
    for method in (
        ShippingMethod.objects.filter(is_active=True).prefetch_related("rates").order_by("position", "pk")
    ):
        methods.setdefault(method.zone_id, []).append(_ActiveMethod(method, tuple(method.rates.all())))
    return _ShippingReference(
        zones=tuple(ShippingZone.objects.order_by("pk")),
        methods={zone_id: tuple(found) for zone_id, found in methods.items()},
    )


STAMP = "shipping"
_reference = ReferenceCache(STAMP, _load)


def track_changes() -> None:
    """Called once from the app's ready(): any save or delete renews every process's copy."""
    track_reference_models(STAMP, (ShippingZone, ShippingMethod, ShippingRate))


def _zones_for(country: str, zones: tuple[ShippingZone, ...]) -> list[ShippingZone]:
    named = [zone for zone in zones if country in (zone.countries or [])]
    return named or [zone for zone in zones if zone.is_rest_of_world]


def _rate_for(rates: tuple[ShippingRate, ...], value: Decimal) -> ShippingRate | None:
    for rate in rates:  # ordered by min_value: the lower band wins a shared boundary
        if rate.min_value <= value and (rate.max_value is None or value <= rate.max_value):
            return rate
    return None


def shipping_quotes(*, country: str, weight_grams: int, subtotal: Decimal) -> list[Quote]:
    """Every active method that reaches `country` and takes this order, cheapest first
    (then fastest). Bad input raises ValidationFailed with field messages."""
    country, weight_grams, subtotal = _clean_order(country, weight_grams, subtotal)
    currency = settings.SHOP_CURRENCY
    reference = _reference.get()
    zones = _zones_for(country, reference.zones)
    methods = sorted(
        (active for zone in zones for active in reference.methods.get(zone.pk, ())),
        key=lambda active: (active.method.position, active.method.pk),
    )
    quotes = []
    for method, rates in methods:
        value = Decimal(weight_grams) if method.kind == ShippingMethod.Kind.BY_WEIGHT else subtotal
        rate = _rate_for(rates, value)
        if rate is None:
            continue
        free = method.free_over is not None and subtotal >= method.free_over
        price = Decimal(0) if free else rate.price
        quotes.append(
            Quote(
                method_id=method.pk,
                code=method.code,
                name=method.name,
                price=quantize(price, currency),
                free=free,
                min_days=method.min_days,
                max_days=method.max_days,
                currency=currency,
            )
        )
    return sorted(quotes, key=lambda quote: (quote.price, quote.max_days))


def shipping_quote(*, method_id: int, country: str, weight_grams: int, subtotal: Decimal) -> Quote:
    """The quote of one method, or ValidationFailed on "shipping_method" when that method
    does not reach `country` or does not take this order."""
    quotes = shipping_quotes(country=country, weight_grams=weight_grams, subtotal=subtotal)
    for quote in quotes:
        if quote.method_id == method_id:
            return quote
    raise ValidationFailed(
        "This shipping method is not available for this address and order.",
        fields={"shipping_method": ["Not available for this address and order; choose another."]},
    )
