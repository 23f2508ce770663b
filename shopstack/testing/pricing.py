"""Factories for pricing tests: the seeded tax tables, tax classes for products, vouchers."""

from __future__ import annotations

import importlib
import itertools
from decimal import Decimal
from typing import Any

from django.apps import apps

from shopstack.catalog.models import Product
from shopstack.pricing.models import PricingSettings, ProductTaxClass, TaxClass, TaxRate, Voucher

_counter = itertools.count(1)


def ensure_tax_seed() -> None:
    """The tax classes, rates and settings of the seed migration, restored if a transactional
    test flushed them (running the migration's own function keeps one source of the rates)."""
    migration = importlib.import_module("shopstack.pricing.migrations.0002_seed_tax_rates")
    migration.seed(apps, None)


def set_prices_include_tax(value: bool) -> PricingSettings:
    row, _ = PricingSettings.objects.update_or_create(pk=1, defaults={"prices_include_tax": value})
    return row


def set_tax_class(product: Product, slug: str) -> ProductTaxClass:
    link, _ = ProductTaxClass.objects.update_or_create(
        product=product, defaults={"tax_class": TaxClass.objects.get(slug=slug)}
    )
    return link


def make_tax_rate(*, slug: str, country: str, rate: Decimal | str, region: str = "") -> TaxRate:
    tax_class, _ = TaxClass.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    tax_rate, _ = TaxRate.objects.update_or_create(
        tax_class=tax_class, country=country, region=region, defaults={"rate": Decimal(str(rate))}
    )
    return tax_rate


def make_voucher(
    *,
    code: str | None = None,
    kind: str = Voucher.Kind.PERCENTAGE,
    value: Decimal | str = "10",
    **extra: Any,
) -> Voucher:
    """An active voucher with no limits unless `extra` sets them (usage_limit, min_spend, ...)."""
    code = code or f"TEST{next(_counter):04d}"
    voucher = Voucher(
        code=code, name=extra.pop("name", f"Voucher {code}"), kind=kind, value=Decimal(str(value)), **extra
    )
    voucher.full_clean()
    voucher.save()
    return voucher
