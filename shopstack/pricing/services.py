"""Pricing rules: a cart priced from the database, and vouchers checked, redeemed and released.

Tax rules, in one place:
- Catalogue prices include tax when PricingSettings.prices_include_tax (the default, a UK
  shop): the shopper pays the catalogue price and the tax shown is the part included in
  it. Sent abroad, the gross price is kept and the included tax is worked out at the
  destination's rate (one price for every shopper, the way most shops that quote VAT-
  inclusive prices do it; the shop's margin absorbs the difference). Otherwise prices are
  net and tax is added at the destination's rate.
- A product is taxed by its ProductTaxClass, or the default class when it has none; a
  class with no rate at the destination is taxed at the destination's default rate; a
  destination with no rates at all (outside the UK and EU in the seed) pays no tax.
- Shipping is taxed at the destination's standard rate. HMRC would allow a mixed basket's
  delivery charge to be apportioned over the goods' rates; the standard rate never
  under-collects and is simple to show.
- A voucher's goods discount is spread over the lines in proportion to their value, so
  that each line's tax is on what was actually paid for it. A free-shipping voucher
  discounts the shipping, which then bears no tax.
- Vouchers (min spend, percentage) apply to the goods subtotal as shown: gross when prices
  include tax, net otherwise. Fixed-amount vouchers and min spend are in the shop currency.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from shopstack.catalog.models import ProductVariant
from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.money import format_money, quantize
from shopstack.pricing.calculation import (
    ZERO,
    Adjustments,
    LineInput,
    LineSpec,
    PricedCart,
    PricedLine,
    TaxLine,
    cart_compute,
)
from shopstack.pricing.models import (
    PricingSettings,
    ProductTaxClass,
    TaxClass,
    TaxRate,
    Voucher,
    VoucherCustomerUsage,
    VoucherRedemption,
)

__all__ = [
    "LineInput",
    "PricedCart",
    "PricedLine",
    "TaxLine",
    "price_cart",
    "voucher_check",
    "voucher_customer_key",
    "voucher_discount",
    "voucher_redeem",
    "voucher_release",
]

MAX_QUANTITY = 999
MAX_LINES = 200
# Codes that look like ISO alpha-2 but are not the ISO code of the country people mean.
NOT_ISO_COUNTRIES = {"UK": "GB", "EL": "GR"}


# Reads (private: services and selectors are independent layers) ----------------------------

# Shipping is taxed at the destination's rate for this class (see services.price_cart).
SHIPPING_TAX_CLASS = "standard"


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


def _pricing_settings() -> PricingSettings:
    """The settings row; created with the defaults if it is missing (a fresh or flushed database)."""
    settings_row, _ = PricingSettings.objects.get_or_create(pk=1)
    return settings_row


def _tax_rates_for(*, country: str, region: str = "") -> DestinationRates:
    """Rates for a destination: a region's own rate wins over the country's; nothing means 0."""
    default = TaxClass.objects.filter(is_default=True).values_list("slug", flat=True).first() or ""
    by_class: dict[str, Decimal] = {}
    rows = (
        TaxRate.objects.filter(Q(region="") | Q(region=region), country=country)
        .order_by("region")  # "" first, so a region's rate overwrites the country's below
        .values_list("tax_class__slug", "rate")
    )
    for slug, rate in rows:
        by_class[slug] = rate
    return DestinationRates(
        by_class=by_class, default_class=default, default_rate=by_class.get(default, Decimal(0))
    )


def _variants_for_pricing(variant_ids: Iterable[int]) -> dict[int, ProductVariant]:
    """Variants with their product, by id (one query); unpublished products are left out."""
    variants = ProductVariant.objects.filter(
        pk__in=set(variant_ids), product__is_published=True
    ).select_related("product")
    return {variant.pk: variant for variant in variants}


def _product_tax_classes(product_ids: Iterable[int]) -> dict[int, str]:
    """Tax class slug by product id, for products that have one set (one query)."""
    return dict(
        ProductTaxClass.objects.filter(product_id__in=set(product_ids)).values_list(
            "product_id", "tax_class__slug"
        )
    )


def _voucher_by_code(code: str) -> Voucher | None:
    return Voucher.objects.filter(code=code.strip().upper()).first() if code.strip() else None


def _voucher_customer_count(*, voucher: Voucher, customer_key: str) -> int:
    return (
        VoucherCustomerUsage.objects.filter(voucher=voucher, customer_key=customer_key)
        .values_list("count", flat=True)
        .first()
        or 0
    )


# Pricing -------------------------------------------------------------------------------------


def _check_lines(lines: Sequence[LineInput]) -> None:
    if not lines:
        raise ValidationFailed("The cart is empty.", fields={"lines": ["Add at least one item."]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(
            "Too many lines.", fields={"lines": [f"A cart holds at most {MAX_LINES} lines."]}
        )
    for number, line in enumerate(lines, start=1):
        variant_id, quantity = line.variant_id, line.quantity
        if not isinstance(variant_id, int) or isinstance(variant_id, bool) or variant_id < 1:
            raise ValidationFailed(
                "A cart line names no product.", fields={"variant": [f"Line {number}: choose a product."]}
            )
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(
                "A quantity is not valid.",
                fields={"quantity": [f"Line {number}: enter a whole number from 1 to {MAX_QUANTITY}."]},
            )


def _check_destination(country: str, region: str) -> tuple[str, str]:
    code = (country or "").strip().upper()
    if code in NOT_ISO_COUNTRIES:
        raise ValidationFailed(
            "The country code is not valid.",
            fields={"country": [f"Use {NOT_ISO_COUNTRIES[code]}, the ISO 3166 code, instead of {code}."]},
        )
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ValidationFailed(
            "The country code is not valid.", fields={"country": ["Enter a two-letter ISO country code."]}
        )
    area = (region or "").strip().upper()
    if len(area) > 16:
        raise ValidationFailed(
            "The region is not valid.", fields={"region": ["Enter at most 16 characters."]}
        )
    return code, area


def _check_shipping(shipping_price: Decimal | None, currency: str) -> Decimal:
    if shipping_price is None:
        return quantize(ZERO, currency)
    if not isinstance(shipping_price, Decimal) or not shipping_price.is_finite() or shipping_price < 0:
        raise ValidationFailed(
            "The shipping price is not valid.",
            fields={"shipping_price": ["Shipping must be a Decimal amount, zero or more."]},
        )
    return quantize(shipping_price, currency)


def price_cart(
    *,
    lines: Sequence[LineInput],
    country: str,
    region: str = "",
    shipping_price: Decimal | None = None,
    voucher_code: str | None = None,
    customer_key: str | None = None,
    now: datetime | None = None,
) -> PricedCart:
    """Price a cart from the catalogue's prices (the caller sends ids and quantities only).

    `shipping_price` comes from the shipping context, on the same tax basis as catalogue
    prices (gross when prices include tax). To pick a shipping price that depends on a
    free-delivery threshold, price the cart without shipping first and compare the
    threshold with `free_shipping_subtotal`. A `voucher_code` is checked (for the customer
    when `customer_key` is given) but not redeemed: call voucher_redeem when the order is placed.

    Raises ValidationFailed with fields "lines", "variant", "quantity", "country", "region",
    "shipping_price" or "voucher".
    """
    _check_lines(lines)
    country, region = _check_destination(country, region)
    variants = _variants_for_pricing(line.variant_id for line in lines)
    for number, line in enumerate(lines, start=1):
        if line.variant_id not in variants:
            raise ValidationFailed(
                "A product in the cart is not for sale.",
                fields={"variant": [f"Line {number}: this product is not available any more."]},
            )
    currencies = {variants[line.variant_id].currency.upper() for line in lines}
    if len(currencies) != 1:
        raise ValidationFailed(
            "The cart mixes currencies.", fields={"variant": ["All items must be priced in one currency."]}
        )
    currency = currencies.pop()
    shipping = _check_shipping(shipping_price, currency)
    include_tax = _pricing_settings().prices_include_tax
    rates = _tax_rates_for(country=country, region=region)
    classes = _product_tax_classes(variants[line.variant_id].product_id for line in lines)
    specs = []
    for line in lines:
        variant = variants[line.variant_id]
        slug = classes.get(variant.product_id, rates.default_class)
        specs.append(
            LineSpec(
                variant_id=variant.pk,
                product_id=variant.product_id,
                sku=variant.sku,
                name=f"{variant.product.name}, {variant.name}" if variant.name else variant.product.name,
                quantity=line.quantity,
                unit_price=variant.price_amount,
                tax_rate=rates.rate_for(slug),
                tax_class=slug,
            )
        )
    adjustments = Adjustments(shipping=shipping, shipping_rate=rates.shipping_rate)
    if voucher_code is not None and voucher_code.strip():
        subtotal = sum((quantize(spec.unit_price, currency) * spec.quantity for spec in specs), ZERO)
        voucher = voucher_check(code=voucher_code, subtotal=subtotal, customer_key=customer_key, now=now)
        discount = voucher_discount(voucher=voucher, subtotal=subtotal, shipping=shipping, currency=currency)
        free_shipping = voucher.kind == Voucher.Kind.FREE_SHIPPING
        adjustments = Adjustments(
            goods_discount=ZERO if free_shipping else discount,
            shipping=shipping,
            shipping_discount=discount if free_shipping else ZERO,
            shipping_rate=rates.shipping_rate,
            voucher_code=voucher.code,
        )
    return cart_compute(
        specs, adjustments, prices_include_tax=include_tax, currency=currency, destination=(country, region)
    )


# Vouchers ------------------------------------------------------------------------------------


def _voucher_error(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, fields={"voucher": [message]})


def _shop_currency() -> str:
    return str(settings.SHOP_CURRENCY)


def voucher_customer_key(*, user_id: int | None = None, email: str | None = None) -> str:
    """The key per-customer limits count by: "user:<id>" for a signed-in customer, else the
    lower-cased email, so one person's guest and account orders count together only if they
    use the same one of the two."""
    if user_id is not None:
        return f"user:{user_id}"
    if email and email.strip():
        return f"email:{email.strip().lower()}"
    raise ValidationFailed(
        "A customer is needed.", fields={"customer": ["Sign in or enter an email address."]}
    )


def _normalise_customer_key(customer_key: str) -> str:
    key = (customer_key or "").strip()
    if key.startswith("email:"):
        key = key.lower()
    if not key or len(key) > 260:
        raise ValidationFailed(
            "A customer is needed.", fields={"customer": ["Sign in or enter an email address."]}
        )
    return key


def voucher_check(
    *, code: str, subtotal: Decimal, customer_key: str | None, now: datetime | None = None
) -> Voucher:
    """The voucher for `code` if it can be used now on `subtotal` by this customer
    (customer limits are checked only when `customer_key` is given).

    Raises ValidationFailed on field "voucher", with one code per reason: voucher_missing,
    voucher_unknown, voucher_inactive, voucher_not_started, voucher_expired,
    voucher_used_up, voucher_customer_limit, voucher_min_spend.
    """
    now = now or timezone.now()
    if not (code or "").strip():
        raise _voucher_error("voucher_missing", "Enter a voucher code.")
    voucher = _voucher_by_code(code)
    if voucher is None:
        raise _voucher_error(
            "voucher_unknown", "We don't recognise this voucher code. Check it and try again."
        )
    if not voucher.is_active:
        raise _voucher_error("voucher_inactive", "This voucher has been withdrawn.")
    local = timezone.localtime
    if voucher.starts_at and now < voucher.starts_at:
        starts = local(voucher.starts_at).strftime("%-d %B %Y, %H:%M")
        raise _voucher_error("voucher_not_started", f"This voucher can be used from {starts}.")
    if voucher.ends_at and now >= voucher.ends_at:
        ended = local(voucher.ends_at).strftime("%-d %B %Y, %H:%M")
        raise _voucher_error("voucher_expired", f"This voucher expired on {ended}.")
    if voucher.usage_limit is not None and voucher.used_count >= voucher.usage_limit:
        raise _voucher_error("voucher_used_up", "This voucher has been used up.")
    if customer_key is not None and voucher.per_customer_limit is not None:
        used = _voucher_customer_count(voucher=voucher, customer_key=_normalise_customer_key(customer_key))
        if used >= voucher.per_customer_limit:
            times = "once" if voucher.per_customer_limit == 1 else f"{voucher.per_customer_limit} times"
            raise _voucher_error(
                "voucher_customer_limit",
                f"You have already used this voucher; it can be used {times} per customer.",
            )
    if voucher.min_spend is not None and subtotal < voucher.min_spend:
        spend = format_money(voucher.min_spend, _shop_currency())
        raise _voucher_error("voucher_min_spend", f"Spend at least {spend} on items to use this voucher.")
    return voucher


def voucher_discount(
    *, voucher: Voucher, subtotal: Decimal, shipping: Decimal, currency: str | None = None
) -> Decimal:
    """The discount a voucher gives, rounded once to `currency` (the shop's by default):
    a percentage of the subtotal; a fixed amount, never more than the subtotal; or, for
    free shipping, the shipping price."""
    currency = currency or _shop_currency()
    subtotal = max(subtotal, ZERO)
    if voucher.kind == Voucher.Kind.PERCENTAGE:
        percent = min(max(voucher.value, ZERO), Decimal(100))
        return quantize(subtotal * percent / Decimal(100), currency)
    if voucher.kind == Voucher.Kind.FIXED_AMOUNT:
        return quantize(min(max(voucher.value, ZERO), subtotal), currency)
    return quantize(max(shipping, ZERO), currency)


class _AlreadyRedeemed(Exception):
    """Rolls a redeem back because the order's redemption turned out to exist already."""


def _active_redemption(voucher: Voucher, order_ref: str) -> VoucherRedemption | None:
    return VoucherRedemption.objects.filter(
        voucher=voucher, order_ref=order_ref, released_at__isnull=True
    ).first()


def _count_use(voucher: Voucher, customer_key: str) -> None:
    """Take one use of the voucher and of the customer's allowance, or raise Conflict.
    Each is one conditional UPDATE, so racing redeemers cannot both take the last use."""
    taken = (
        Voucher.objects.filter(pk=voucher.pk, is_active=True)
        .filter(Q(usage_limit__isnull=True) | Q(used_count__lt=F("usage_limit")))
        .update(used_count=F("used_count") + 1)
    )
    if not taken:
        message = "This voucher has just been used up."
        raise Conflict(message, code="voucher_used_up", fields={"voucher": [message]})
    usage = VoucherCustomerUsage.objects.filter(voucher=voucher, customer_key=customer_key)
    if voucher.per_customer_limit is not None:
        usage = usage.filter(count__lt=voucher.per_customer_limit)
    if not usage.update(count=F("count") + 1):
        message = "You have already used this voucher as many times as it allows."
        raise Conflict(message, code="voucher_customer_limit", fields={"voucher": [message]})


def voucher_redeem(
    *, code: str, order_ref: str, customer_key: str, subtotal: Decimal, now: datetime | None = None
) -> VoucherRedemption:
    """Record that order `order_ref` uses the voucher, counting one use overall and one for
    the customer. Idempotent per (voucher, order): a repeat returns the same redemption and
    counts nothing. A redemption released for this order is taken back into use.

    Raises ValidationFailed (field "voucher", the codes of voucher_check) when the voucher
    cannot be used, and Conflict with code voucher_used_up or voucher_customer_limit (field
    "voucher") when another order took the last use in the meantime.
    """
    order_ref = (order_ref or "").strip()
    if not order_ref or len(order_ref) > 64:
        raise ValidationFailed(
            "An order reference is needed.", fields={"order_ref": ["Send 1 to 64 characters."]}
        )
    customer_key = _normalise_customer_key(customer_key)
    voucher = _voucher_by_code(code or "")
    if voucher is not None and (existing := _active_redemption(voucher, order_ref)) is not None:
        return existing
    voucher = voucher_check(code=code, subtotal=subtotal, customer_key=customer_key, now=now)
    # The counter row exists before the transaction, so the limit is one conditional UPDATE.
    # get_or_create retries its get after losing the insert race; on PostgreSQL inside an
    # outer transaction the loser can still see IntegrityError, and then the row exists.
    with contextlib.suppress(IntegrityError):
        VoucherCustomerUsage.objects.get_or_create(voucher=voucher, customer_key=customer_key)
    try:
        with transaction.atomic():
            released = VoucherRedemption.objects.filter(voucher=voucher, order_ref=order_ref).first()
            if released is not None and released.released_at is None:
                raise _AlreadyRedeemed
            _count_use(voucher, customer_key)
            if released is None:
                return VoucherRedemption.objects.create(
                    voucher=voucher, order_ref=order_ref, customer_key=customer_key
                )
            revived = VoucherRedemption.objects.filter(pk=released.pk, released_at__isnull=False).update(
                released_at=None, customer_key=customer_key
            )
            if not revived:
                raise _AlreadyRedeemed
            released.refresh_from_db()
            return released
    except (_AlreadyRedeemed, IntegrityError, Conflict) as error:
        # A racing redeem of the same order may have won (and taken the last use): that is
        # this order's redemption too. Anything else is a real refusal.
        existing = _active_redemption(voucher, order_ref)
        if existing is not None:
            return existing
        if isinstance(error, Conflict):
            raise
        # Released again while we looked: let the caller retry rather than guess.
        message = "This voucher changed while it was being applied; try again."
        raise Conflict(message, code="voucher_busy", fields={"voucher": [message]}) from error


def voucher_release(*, order_ref: str, now: datetime | None = None) -> int:
    """Give back the voucher uses of a cancelled order: its redemptions are marked released
    and the counts go down. Idempotent: returns how many redemptions this call released."""
    now = now or timezone.now()
    released = 0
    for redemption in VoucherRedemption.objects.filter(order_ref=order_ref, released_at__isnull=True):
        with transaction.atomic():
            if not VoucherRedemption.objects.filter(pk=redemption.pk, released_at__isnull=True).update(
                released_at=now
            ):
                continue  # a racing release got there first
            Voucher.objects.filter(pk=redemption.voucher_id, used_count__gt=0).update(
                used_count=F("used_count") - 1
            )
            VoucherCustomerUsage.objects.filter(
                voucher_id=redemption.voucher_id, customer_key=redemption.customer_key, count__gt=0
            ).update(count=F("count") - 1)
            released += 1
    return released
