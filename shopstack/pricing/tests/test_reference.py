"""Tax rates and pricing settings are kept per process: every change reaches the next price."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopstack.pricing.models import PricingSettings, TaxClass, TaxRate
from shopstack.pricing.reference import pricing_reference

pytestmark = pytest.mark.django_db


def test_saving_a_tax_rate_renews_every_copy_of_the_pricing_reference() -> None:
    standard, _ = TaxClass.objects.get_or_create(slug="standard", defaults={"name": "Standard"})
    TaxRate.objects.filter(country="ZZ").delete()
    rate = TaxRate.objects.create(tax_class=standard, country="ZZ", rate=Decimal("10"))
    assert pricing_reference().rates_for(country="ZZ").by_class["standard"] == Decimal("10")
    rate.rate = Decimal("12.5")
    rate.save()
    assert pricing_reference().rates_for(country="ZZ").by_class["standard"] == Decimal("12.5")
    rate.delete()
    assert "standard" not in pricing_reference().rates_for(country="ZZ").by_class


def test_changing_the_shops_tax_basis_reaches_the_next_price() -> None:
    before = pricing_reference().prices_include_tax
    settings_row, _ = PricingSettings.objects.get_or_create(pk=1)
    settings_row.prices_include_tax = not before
    settings_row.save()
    assert pricing_reference().prices_include_tax is (not before)
