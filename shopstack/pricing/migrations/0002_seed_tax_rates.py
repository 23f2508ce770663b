"""Seed the tax classes, the rates the demo shop needs, and the pricing settings row.

Rates change: these are the rates in force in late 2025 (checked November 2025).
Changes during 2025 worth knowing: Estonia 22% -> 24% on 1 July 2025; Romania 19% -> 21%
on 1 August 2025; Slovakia 20% -> 23% on 1 January 2025; Finland 24% -> 25.5% since
1 September 2024. Edit the rates in the admin when a country changes them; a rate is
looked up when a cart is priced, so the change applies to the next checkout.

Only the standard class has EU rates: a reduced- or zero-rated product sent to a country
with no rate for its class is taxed at that country's default (standard) rate
(see pricing.reference.DestinationRates). Countries with no rate at all pay no tax.
"""

from decimal import Decimal

from django.db import migrations

UK_RATES = {"standard": "20", "reduced": "5", "zero": "0"}

EU_STANDARD_RATES = {
    "AT": "20", "BE": "21", "BG": "20", "HR": "25", "CY": "19", "CZ": "21", "DK": "25",
    "EE": "24", "FI": "25.5", "FR": "20", "DE": "19", "GR": "24", "HU": "27", "IE": "23",
    "IT": "22", "LV": "21", "LT": "21", "LU": "17", "MT": "18", "NL": "21", "PL": "23",
    "PT": "23", "RO": "21", "SK": "23", "SI": "22", "ES": "21", "SE": "25",
}  # fmt: skip

CLASSES = [("standard", "Standard rate", True), ("reduced", "Reduced rate", False), ("zero", "Zero rate", False)]


def seed(apps, schema_editor):
    """Idempotent: creates what is missing, leaves rates the shop has edited alone."""
    TaxClass = apps.get_model("pricing", "TaxClass")
    TaxRate = apps.get_model("pricing", "TaxRate")
    PricingSettings = apps.get_model("pricing", "PricingSettings")
    classes = {}
    for slug, name, is_default in CLASSES:
        defaults = {"name": name, "is_default": is_default and not TaxClass.objects.filter(is_default=True).exists()}
        classes[slug], _ = TaxClass.objects.get_or_create(slug=slug, defaults=defaults)
    for slug, rate in UK_RATES.items():
        TaxRate.objects.get_or_create(
            tax_class=classes[slug], country="GB", region="", defaults={"rate": Decimal(rate)}
        )
    for country, rate in EU_STANDARD_RATES.items():
        TaxRate.objects.get_or_create(
            tax_class=classes["standard"], country=country, region="", defaults={"rate": Decimal(rate)}
        )
    PricingSettings.objects.get_or_create(pk=1, defaults={"prices_include_tax": True})


def unseed(apps, schema_editor):
    TaxRate = apps.get_model("pricing", "TaxRate")
    TaxRate.objects.filter(region="", country__in=["GB", *EU_STANDARD_RATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("pricing", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
