"""Vouchers: checked against a cart, redeemed when an order is placed, released when it is
cancelled. Limits (in total and per customer) hold under concurrency: a redemption counts
its use with a conditional UPDATE, so two orders racing for the last use cannot both win.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.money import format_money, quantize
from shopstack.pricing.calculation import ZERO
from shopstack.pricing.models import Voucher, VoucherCustomerUsage, VoucherRedemption


def _voucher_by_code(code: str) -> Voucher | None:
    return Voucher.objects.filter(code=code.strip().upper()).first() if code.strip() else None


def _voucher_customer_count(*, voucher: Voucher, customer_key: str) -> int:
    return (
        VoucherCustomerUsage.objects.filter(voucher=voucher, customer_key=customer_key)
        .values_list("count", flat=True)
        .first()
        or 0
    )


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
