"""The shop's pricing settings and tax rates, as every priced request reads them.

Kept per process by `core.reference` (reloaded when staff change a rate, a class or the
settings), so pricing a cart reads only its variants and their tax classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from shopstack.core.reference import ReferenceCache, track_reference_models
from shopstack.pricing.models import PricingSettings, TaxClass, TaxRate

# Shipping is taxed at the destination's rate for this class (see services.price_cart).
SHIPPING_TAX_CLASS = "standard"
STAMP = "pricing"


@dataclass(frozen=True, slots=True)
class DestinationRates:
    """Tax rates (percent) that apply at one destination, by tax class slug."""

    by_class: dict[str, Decimal]
    default_class: str
    default_rate: Decimal

    def rate_for(self, slug: str) -> Decimal:
        """A class with no rate here is taxed at the destination's default rate: collecting
        the usual tax rather than none is the safe side when the shop has not said."""
        return self.by_class.get(slug, self.default_rate)

    @property
    def shipping_rate(self) -> Decimal:
        return self.by_class.get(SHIPPING_TAX_CLASS, self.default_rate)


@dataclass(frozen=True)
class PricingReference:
    prices_include_tax: bool
    default_class: str
    # (country, region) -> {class slug: rate}; region "" is the whole country's rate.
    rates: dict[tuple[str, str], dict[str, Decimal]]

    def rates_for(self, *, country: str, region: str = "") -> DestinationRates:
        """A region's own rate wins over the country's; no rate at all means 0."""
        by_class = dict(self.rates.get((country, ""), {}))
        if region:
            by_class.update(self.rates.get((country, region), {}))
        return DestinationRates(
            by_class=by_class,
            default_class=self.default_class,
            default_rate=by_class.get(self.default_class, Decimal(0)),
        )


def _load() -> PricingReference:
    # Created with the defaults if missing (a fresh or flushed database).
    settings_row, _ = PricingSettings.objects.get_or_create(pk=1)
    default = TaxClass.objects.filter(is_default=True).values_list("slug", flat=True).first() or ""
    rates: dict[tuple[str, str], dict[str, Decimal]] = {}
    for country, region, slug, rate in TaxRate.objects.values_list(
        "country", "region", "tax_class__slug", "rate"
    ):
        rates.setdefault((country, region), {})[slug] = rate
    return PricingReference(
        prices_include_tax=settings_row.prices_include_tax, default_class=default, rates=rates
    )


_cache = ReferenceCache(STAMP, _load)


def pricing_reference() -> PricingReference:
    return _cache.get()


def track_changes() -> None:
    """Called once from the app's ready(): any save or delete renews every process's copy."""
    track_reference_models(STAMP, (PricingSettings, TaxClass, TaxRate))
