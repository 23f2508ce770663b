"""Reservations: units held for a checkout in progress, for a while."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from shopstack.core.errors import ValidationFailed
from shopstack.inventory.models import Reservation
from shopstack.inventory.services.stock import (
    DEFAULT_TTL_SECONDS,
    MAX_TTL_SECONDS,
    OutOfStock,
    StockKey,
    _active_warehouses,
    _announce,
    _apply,
    _check_line_count,
    _clean_ref,
    _clean_variant_quantities,
    _Delta,
    _end_reservations,
    _free_units,
    _lock_held,
    _lock_stocks,
    _pairs,
    _plan_take,
    _refuse_unknown_variants,
    _sweep_lapsed,
)


def stock_reserve(
    *, ref: str, lines: Sequence[tuple[int, int]], ttl_seconds: int = DEFAULT_TTL_SECONDS
) -> list[Reservation]:
    """Hold units of each (variant_id, quantity) line for `ref` until now + ttl_seconds.

    All or nothing: raises OutOfStock (409, code "out_of_stock", a field per short
    variant "variant:<id>": ["Only N left."]) and changes nothing when any line is short.
    Replaces whatever `ref` held before (the cart changed); repeating the same lines just
    renews the expiry. A line is taken from one warehouse if one has it all, else split
    over active warehouses in id order. Bad input raises ValidationFailed.
    """
    ref = _clean_ref(ref, field="ref")
    wanted = _clean_variant_quantities(_pairs(_check_line_count(lines), 2), check_known=False)
    if (
        isinstance(ttl_seconds, bool)
        or not isinstance(ttl_seconds, int)
        or not 0 < ttl_seconds <= MAX_TTL_SECONDS
    ):
        raise ValidationFailed(
            "The reservation time is not valid.",
            fields={"ttl_seconds": [f"Must be a whole number of seconds from 1 to {MAX_TTL_SECONDS}."]},
        )
    now = timezone.now()
    expires_at = now + timedelta(seconds=ttl_seconds)
    with transaction.atomic():
        stocks, held = _lock_held(ref, wanted)
        _refuse_unknown_variants(wanted, stocks)
        held_totals: dict[int, int] = defaultdict(int)
        for reservation in held:
            held_totals[reservation.variant_id] += reservation.quantity
        if held_totals == wanted:
            Reservation.objects.filter(pk__in=[r.pk for r in held]).update(
                expires_at=expires_at, updated_at=now
            )
            for reservation in held:
                reservation.expires_at = expires_at
            return held
        released = _end_reservations(stocks, held, status=Reservation.Status.RELEASED, now=now)
        _sweep_lapsed(stocks, now=now)
        active_warehouses = _active_warehouses(stocks)
        plans: dict[int, list[tuple[StockKey, int]]] = {}
        short: dict[int, int] = {}
        for variant_id in sorted(wanted):
            plan = _plan_take(stocks, active_warehouses, variant_id=variant_id, quantity=wanted[variant_id])
            if plan is None:
                short[variant_id] = _free_units(stocks, active_warehouses, variant_id)
            else:
                plans[variant_id] = plan
        if short:
            raise OutOfStock(short)
        deltas: dict[StockKey, _Delta] = defaultdict(_Delta)
        for plan in plans.values():
            for key, quantity in plan:
                deltas[key].reserved += quantity
        _apply(stocks, deltas, now=now)
        created = Reservation.objects.bulk_create(
            [
                Reservation(
                    variant_id=key[0], warehouse_id=key[1], quantity=quantity, ref=ref, expires_at=expires_at
                )
                for variant_id in sorted(plans)
                for key, quantity in plans[variant_id]
            ]
        )
        _announce(
            name="StockReserved",
            aggregate_type="reservation",
            aggregate_id=ref,
            payload={
                "ref": ref,
                "expires_at": expires_at.isoformat(),
                "lines": [
                    {"variant_id": r.variant_id, "warehouse_id": r.warehouse_id, "quantity": r.quantity}
                    for r in created
                ],
                "replaced": len(released),
            },
            variant_ids=set(wanted) | {r.variant_id for r in released},
        )
    # Created in primary key order, with their ids: what a fresh read would give.
    return created


def stock_release(*, ref: str) -> int:
    """Give back everything `ref` holds (the checkout was abandoned or emptied). Returns
    how many reservations were released; 0 on a repeat."""
    ref = _clean_ref(ref, field="ref")
    now = timezone.now()
    with transaction.atomic():
        held_ids = Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE).values_list(
            "variant_id", flat=True
        )
        stocks = _lock_stocks(set(held_ids))
        held = list(Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE).order_by("pk"))
        _lock_stocks({r.variant_id for r in held}, into=stocks)
        released = _end_reservations(stocks, held, status=Reservation.Status.RELEASED, now=now)
        if released:
            _announce(
                name="StockReleased",
                aggregate_type="reservation",
                aggregate_id=ref,
                payload={"ref": ref, "reservations": len(released)},
                variant_ids={r.variant_id for r in released},
            )
    return len(released)


def stock_expire_reservations(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Expire every active reservation whose time is up, freeing its units. Returns how
    many were expired. Safe to run from several workers at once."""
    now = now or timezone.now()
    expired = 0
    while True:
        batch = list(
            Reservation.objects.filter(status=Reservation.Status.ACTIVE, expires_at__lte=now)
            .order_by("pk")
            .values_list("variant_id", flat=True)[:batch_size]
        )
        if not batch:
            return expired
        with transaction.atomic():
            stocks = _lock_stocks(set(batch))
            ended = _sweep_lapsed(stocks, now=now, variant_ids=batch)
            if ended:
                refs = sorted({r.ref for r in ended})
                _announce(
                    name="ReservationsExpired",
                    aggregate_type="reservation",
                    aggregate_id=refs[0] if len(refs) == 1 else "many",
                    payload={"refs": refs, "reservations": len(ended)},
                    variant_ids={r.variant_id for r in ended},
                )
        expired += len(ended)
        if not ended:  # another worker took this batch; it will take the rest too
            return expired
