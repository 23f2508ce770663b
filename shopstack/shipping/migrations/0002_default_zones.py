"""Zones, methods and rates a new shop starts with (prices in the shop currency, GBP by
default). Skipped when the shop already has zones. The data is written out here, not
imported, so the migration means the same thing however the code changes later."""

from decimal import Decimal

from django.db import migrations

# The EU's 27 members with Norway, Switzerland and Iceland.
EUROPE = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "NO", "CH", "IS",
]  # fmt: skip

# zone name, countries, rest of world, [(method name, code, kind, free over, min days, max days,
#   [(min value, max value or None, price)])]
DEFAULTS = [
    (
        "United Kingdom",
        ["GB"],
        False,
        [
            ("Standard", "uk-standard", "by_weight", "50.00", 2, 4,
             [("0", "1000", "3.95"), ("1000", "5000", "6.95"), ("5000", "30000", "12.95")]),
            ("Express", "uk-express", "by_weight", None, 1, 1,
             [("0", "5000", "9.95"), ("5000", "30000", "14.95")]),
        ],
    ),
    (
        "Europe",
        EUROPE,
        False,
        [
            ("Standard", "europe-standard", "by_weight", None, 3, 7,
             [("0", "1000", "7.95"), ("1000", "5000", "14.95"), ("5000", "30000", "29.95")]),
        ],
    ),
    (
        "Rest of world",
        [],
        True,
        [
            ("International", "world-standard", "by_weight", None, 5, 14,
             [("0", "1000", "12.95"), ("1000", "5000", "24.95"), ("5000", "20000", "49.95")]),
        ],
    ),
]  # fmt: skip


def create_default_zones(apps, schema_editor):
    zone_model = apps.get_model("shipping", "ShippingZone")
    method_model = apps.get_model("shipping", "ShippingMethod")
    rate_model = apps.get_model("shipping", "ShippingRate")
    if zone_model.objects.exists():
        return
    for zone_name, countries, rest_of_world, methods in DEFAULTS:
        zone = zone_model.objects.create(name=zone_name, countries=countries, is_rest_of_world=rest_of_world)
        for position, (name, code, kind, free_over, min_days, max_days, rates) in enumerate(methods):
            method = method_model.objects.create(
                zone=zone,
                name=name,
                code=code,
                kind=kind,
                free_over=Decimal(free_over) if free_over else None,
                min_days=min_days,
                max_days=max_days,
                position=position,
            )
            for low, high, price in rates:
                rate_model.objects.create(
                    method=method,
                    min_value=Decimal(low),
                    max_value=Decimal(high) if high else None,
                    price=Decimal(price),
                )


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_zones_methods_rates")]

    operations = [migrations.RunPython(create_default_zones, migrations.RunPython.noop)]
