"""Reads of stock: what can still be sold.

Available = quantity - allocated - reserved, over active warehouses. A reservation past
its `expires_at` that the sweep (`stock_expire_reservations`) has not reached yet still
counts in `Stock.reserved`; these reads add such units back, so availability is exact
whether or not the sweep has run. Writes that need the units sweep them first.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Sum
from django.utils import timezone

from shopstack.inventory.models import Allocation, Reservation, Stock


def variants_available(*, variant_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Units of each variant that can still be sold, in two queries whatever the count."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(variant_ids))
    available = dict.fromkeys(ids, 0)
    if not ids:
        return available
    rows = (
        Stock.objects.filter(variant_id__in=ids, warehouse__is_active=True)
        .values("variant_id")
        .annotate(units=Sum(F("quantity") - F("allocated") - F("reserved")))
        .values_list("variant_id", "units")
    )
    for variant_id, units in rows:
        available[variant_id] = int(units or 0)
    lapsed = (
        Reservation.objects.filter(
            variant_id__in=ids,
            warehouse__is_active=True,
            status=Reservation.Status.ACTIVE,
            expires_at__lte=now,
        )
        .values("variant_id")
        .annotate(units=Sum("quantity"))
        .values_list("variant_id", "units")
    )
    for variant_id, units in lapsed:
        available[variant_id] += int(units or 0)
    return {variant_id: max(units, 0) for variant_id, units in available.items()}


def variant_available(*, variant_id: int) -> int:
    """Units of the variant that can still be sold, over all active warehouses."""
    return variants_available(variant_ids=[variant_id])[variant_id]


def reservations_active(*, ref: str) -> list[Reservation]:
    """The reservations a checkout holds now (lapsed ones excluded), oldest first."""
    return list(
        Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE, expires_at__gt=timezone.now())
        .select_related("variant", "warehouse")
        .order_by("pk")
    )


def allocations_for_order(*, order_ref: str) -> list[Allocation]:
    """Every allocation of an order, whatever its status, by line then warehouse."""
    return list(
        Allocation.objects.filter(order_ref=order_ref)
        .select_related("variant", "warehouse")
        .order_by("line_ref", "warehouse_id", "pk")
    )
