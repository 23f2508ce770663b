"""Factories for shipping tests: zones and methods with rate tables."""

from __future__ import annotations

import importlib
import itertools
from decimal import Decimal

from django.apps import apps

from shopstack.shipping.models import ShippingMethod, ShippingRate, ShippingZone

_counter = itertools.count(1)


def make_zone(
    *, name: str | None = None, countries: list[str] | None = None, rest_of_world: bool = False
) -> ShippingZone:
    return ShippingZone.objects.create(
        name=name or f"Zone {next(_counter)}", countries=countries or [], is_rest_of_world=rest_of_world
    )


def make_method(
    *,
    zone: ShippingZone,
    rates: list[tuple[str, str | None, str]],
    kind: str = ShippingMethod.Kind.BY_WEIGHT,
    free_over: str | None = None,
    **extra: object,
) -> ShippingMethod:
    """A method with (min value, max value or None, price) rates."""
    n = next(_counter)
    method = ShippingMethod.objects.create(
        zone=zone,
        name=extra.pop("name", f"Method {n}"),
        code=extra.pop("code", f"method-{n}"),
        kind=kind,
        free_over=Decimal(free_over) if free_over else None,
        **extra,
    )
    for low, high, price in rates:
        ShippingRate.objects.create(
            method=method,
            min_value=Decimal(low),
            max_value=Decimal(high) if high is not None else None,
            price=Decimal(price),
        )
    return method


def install_default_zones() -> None:
    """Replace every zone with the defaults a new shop gets from the data migration
    (tests that flush the database remove those, so tests install them again)."""
    ShippingZone.objects.all().delete()
    migration = importlib.import_module("shopstack.shipping.migrations.0002_default_zones")
    migration.create_default_zones(apps, None)
