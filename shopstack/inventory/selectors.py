"""Reads of stock: what can still be sold.

Available = quantity - allocated - reserved, over active warehouses. A reservation past
its `expires_at` that the sweep (`stock_expire_reservations`) has not reached yet still
counts in `Stock.reserved`; these reads add such units back, so availability is exact
whether or not the sweep has run. Writes that need the units sweep them first.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from shopstack.inventory.models import Allocation, Reservation, Stock


def variants_available(*, variant_ids: list[int], now: datetime | None = None) -> dict[int, int]:
    """Units of each variant that can still be sold, in one query whatever the count.
    Raw SQL: every cart and checkout request asks, and the ORM's two aggregate queries
    cost more Python than the database spends answering them."""
    now = now or timezone.now()
    ids = list(dict.fromkeys(variant_ids))
    available = dict.fromkeys(ids, 0)
    if not ids:
        return available
    marks = ", ".join(["%s"] * len(ids))
    sql = _AVAILABLE_SQL.format(ids=marks)
    params = [
        True,
        Reservation.Status.ACTIVE.value,
        connection.ops.adapt_datetimefield_value(now),
        True,
        *ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for variant_id, free, lapsed in cursor.fetchall():
            available[variant_id] = max(int(free or 0) + int(lapsed or 0), 0)
    return available


# Free units per variant over active warehouses, plus the units of lapsed reservations
# that the sweep has not released yet (still counted in `reserved`).
_AVAILABLE_SQL = (
    "SELECT s.variant_id, SUM(s.quantity - s.allocated - s.reserved), "
    "(SELECT SUM(r.quantity) FROM {reservation} r JOIN {warehouse} rw ON rw.id = r.warehouse_id "
    "WHERE r.variant_id = s.variant_id AND rw.is_active = %s AND r.status = %s "
    "AND r.expires_at <= %s) "
    "FROM {stock} s JOIN {warehouse} w ON w.id = s.warehouse_id "
    "WHERE w.is_active = %s AND s.variant_id IN ({{ids}}) GROUP BY s.variant_id"
).format(
    reservation=Reservation._meta.db_table,
    warehouse=Stock._meta.get_field("warehouse").related_model._meta.db_table,
    stock=Stock._meta.db_table,
)


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
