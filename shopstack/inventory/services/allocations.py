"""Allocations: units of an order line, from placing the order until shipped, released or
returned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.idempotency import idempotent_call
from shopstack.inventory.models import Allocation, Reservation, Stock
from shopstack.inventory.services.stock import (
    ORDER_REF_MAX_LENGTH,
    REF_MAX_LENGTH,
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
    _quantity_problem,
    _refuse_unknown_variants,
    _sweep_lapsed,
)


def _clean_allocation_lines(lines: object) -> list[tuple[str, int, int]]:
    triples = _pairs(_check_line_count(lines), 3)
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for line_ref, _, _ in triples:
        if not isinstance(line_ref, str) or not line_ref.strip() or len(line_ref) > ORDER_REF_MAX_LENGTH:
            problems.setdefault("lines", []).append(f"{line_ref!r} is not a valid line reference.")
        elif line_ref in seen:
            problems.setdefault("lines", []).append(f"Line {line_ref} appears twice.")
        else:
            seen.add(line_ref)
    if problems:
        raise ValidationFailed("Some lines are not valid.", fields=problems)
    _clean_variant_quantities(
        [(variant_id, quantity) for _, variant_id, quantity in triples], check_known=False
    )
    return [(line_ref, variant_id, quantity) for line_ref, variant_id, quantity in triples]


def stock_allocate(*, ref: str, order_ref: str, lines: Sequence[tuple[str, int, int]]) -> list[Allocation]:
    """Allocate each (line_ref, variant_id, quantity) line of order `order_ref`, converting
    what checkout `ref` reserved and taking any rest (e.g. after the reservation lapsed)
    from free stock. Whatever `ref` held beyond the lines is released.

    Idempotent per order_ref: a repeat returns the existing allocations (Conflict with
    code "allocation_mismatch" if it asks for different lines). OutOfStock when a line
    cannot be covered; nothing changes then.
    """
    ref = _clean_ref(ref, field="ref")
    order_ref = _clean_ref(order_ref, field="order_ref", max_length=ORDER_REF_MAX_LENGTH)
    wanted = _clean_allocation_lines(lines)
    now = timezone.now()
    with transaction.atomic():
        stocks, held = _lock_held(ref, {variant_id for _, variant_id, _ in wanted})
        _refuse_unknown_variants((variant_id for _, variant_id, _ in wanted), stocks)
        # Checked under the locks: a racing call for the same order has committed by now.
        existing = list(
            Allocation.objects.filter(order_ref=order_ref).order_by("line_ref", "warehouse_id", "pk")
        )
        if existing:
            return _same_allocation(existing, wanted)
        taken: dict[tuple[str, StockKey], int] = defaultdict(int)
        used: dict[int, int] = defaultdict(int)
        remaining_need: dict[str, int] = {}
        for line_ref, variant_id, quantity in wanted:
            need = quantity
            for reservation in held:
                if reservation.variant_id != variant_id or need == 0:
                    continue
                take = min(reservation.quantity - used[reservation.pk], need)
                if take > 0:
                    used[reservation.pk] += take
                    taken[(line_ref, (variant_id, reservation.warehouse_id))] += take
                    need -= take
            remaining_need[line_ref] = need
        for reservation in held:
            status = Reservation.Status.CONVERTED if used[reservation.pk] else Reservation.Status.RELEASED
            _end_reservations(stocks, [reservation], status=status, now=now, used=used)
        short: dict[int, int] = {}
        deltas: dict[StockKey, _Delta] = defaultdict(_Delta)
        # The usual case, a checkout that still held everything, takes nothing from free
        # stock: no need to look for lapsed reservations or warehouses then.
        if any(remaining_need.values()):
            _sweep_lapsed(stocks, now=now)
            active_warehouses = _active_warehouses(stocks)
        for line_ref, variant_id, _ in wanted:
            if not remaining_need[line_ref]:
                continue
            plan = _plan_take(
                stocks, active_warehouses, variant_id=variant_id, quantity=remaining_need[line_ref]
            )
            if plan is None:
                short[variant_id] = _free_units(stocks, active_warehouses, variant_id)
                continue
            for key, quantity in plan:
                taken[(line_ref, key)] += quantity
                deltas[key].allocated += quantity
                stocks[key].allocated += quantity  # so the next line of the variant sees it
        if short:
            raise OutOfStock(short)
        for key, delta in deltas.items():
            stocks[key].allocated -= delta.allocated
        _apply(stocks, deltas, now=now)
        created = Allocation.objects.bulk_create(
            [
                Allocation(
                    variant_id=key[0],
                    warehouse_id=key[1],
                    quantity=quantity,
                    order_ref=order_ref,
                    line_ref=line_ref,
                )
                for (line_ref, key), quantity in sorted(taken.items())
            ]
        )
        _announce(
            name="StockAllocated",
            aggregate_type="order",
            aggregate_id=order_ref,
            payload={
                "order_ref": order_ref,
                "ref": ref,
                "lines": [
                    {
                        "line_ref": a.line_ref,
                        "variant_id": a.variant_id,
                        "warehouse_id": a.warehouse_id,
                        "quantity": a.quantity,
                    }
                    for a in created
                ],
            },
            variant_ids={variant_id for _, variant_id, _ in wanted} | {r.variant_id for r in held},
        )
    # Created in (line_ref, warehouse) order, with their ids: what a fresh read would give.
    return created


def _same_allocation(existing: list[Allocation], wanted: list[tuple[str, int, int]]) -> list[Allocation]:
    have: dict[str, tuple[int, int]] = {}
    for allocation in existing:
        _, quantity = have.get(allocation.line_ref, (allocation.variant_id, 0))
        have[allocation.line_ref] = (allocation.variant_id, quantity + allocation.quantity)
    if have != {line_ref: (variant_id, quantity) for line_ref, variant_id, quantity in wanted}:
        raise Conflict(
            "This order was already allocated with different lines.",
            code="allocation_mismatch",
            fields={"lines": ["The order's lines differ from those allocated before."]},
        )
    return existing


def _order_allocations(
    *, order_ref: str, line_refs: Sequence[str] | None, status: str
) -> tuple[dict[StockKey, Stock], list[Allocation]]:
    """Lock the stock of an order's allocations in `status` (of `line_refs` if given)."""
    order_ref = _clean_ref(order_ref, field="order_ref", max_length=ORDER_REF_MAX_LENGTH)
    scope = Allocation.objects.filter(order_ref=order_ref)
    if line_refs is not None:
        if not isinstance(line_refs, list | tuple) or not all(isinstance(x, str) for x in line_refs):
            raise ValidationFailed(
                "Line references are not valid.", fields={"line_refs": ["Send a list of strings."]}
            )
        unknown = sorted(set(line_refs) - set(scope.values_list("line_ref", flat=True)))
        if unknown:
            raise ValidationFailed(
                "Some lines are not part of this order.",
                fields={"line_refs": [f"Unknown line: {line_ref}." for line_ref in unknown]},
            )
        scope = scope.filter(line_ref__in=list(line_refs))
    stocks = _lock_stocks(set(scope.filter(status=status).values_list("variant_id", flat=True)))
    allocations = list(scope.filter(status=status).order_by("pk"))
    _lock_stocks({a.variant_id for a in allocations}, into=stocks)
    return stocks, allocations


def _finish_allocations(
    stocks: dict[StockKey, Stock],
    allocations: list[Allocation],
    *,
    from_status: str,
    to_status: str,
    delta: _Delta,
    now: datetime,
) -> list[Allocation]:
    """Move allocations to `to_status`, changing their stock by `delta` per unit."""
    deltas: dict[StockKey, _Delta] = defaultdict(_Delta)
    moved = []
    for allocation in allocations:
        if not Allocation.objects.filter(pk=allocation.pk, status=from_status).update(
            status=to_status, updated_at=now
        ):
            continue
        key = (allocation.variant_id, allocation.warehouse_id)
        deltas[key].quantity += delta.quantity * allocation.quantity
        deltas[key].allocated += delta.allocated * allocation.quantity
        moved.append(allocation)
    _apply(stocks, deltas, now=now)
    return moved


def stock_deallocate(*, order_ref: str, line_refs: Sequence[str] | None = None) -> int:
    """Release the order's allocated (not yet shipped) units, e.g. on cancel. Returns the
    units released; 0 on a repeat. Unknown line refs raise ValidationFailed."""
    now = timezone.now()
    with transaction.atomic():
        stocks, allocations = _order_allocations(
            order_ref=order_ref, line_refs=line_refs, status=Allocation.Status.ALLOCATED
        )
        moved = _finish_allocations(
            stocks,
            allocations,
            from_status=Allocation.Status.ALLOCATED,
            to_status=Allocation.Status.RELEASED,
            delta=_Delta(allocated=-1),
            now=now,
        )
        if moved:
            _announce_order_change("StockDeallocated", order_ref, moved)
    return sum(a.quantity for a in moved)


def stock_ship(*, order_ref: str, line_refs: Sequence[str] | None = None) -> int:
    """The order's allocated units left the warehouse: on hand and allocated both drop.
    Returns the units shipped; 0 on a repeat."""
    now = timezone.now()
    with transaction.atomic():
        stocks, allocations = _order_allocations(
            order_ref=order_ref, line_refs=line_refs, status=Allocation.Status.ALLOCATED
        )
        moved = _finish_allocations(
            stocks,
            allocations,
            from_status=Allocation.Status.ALLOCATED,
            to_status=Allocation.Status.SHIPPED,
            delta=_Delta(quantity=-1, allocated=-1),
            now=now,
        )
        if moved:
            _announce_order_change("StockShipped", order_ref, moved)
    return sum(a.quantity for a in moved)


def _announce_order_change(name: str, order_ref: str, allocations: list[Allocation]) -> None:
    _announce(
        name=name,
        aggregate_type="order",
        aggregate_id=order_ref,
        payload={
            "order_ref": order_ref,
            "lines": [
                {
                    "line_ref": a.line_ref,
                    "variant_id": a.variant_id,
                    "warehouse_id": a.warehouse_id,
                    "quantity": a.quantity,
                }
                for a in allocations
            ],
        },
        variant_ids={a.variant_id for a in allocations},
    )


def stock_return(
    *, order_ref: str, line_ref: str, quantity: int, restock: bool, return_ref: str | None = None
) -> int:
    """Record `quantity` shipped units of a line as returned; with `restock` they go back
    on hand in the warehouse they left. At most what was shipped and not yet returned.
    With `return_ref`, a repeat of the same return changes nothing. Returns the units."""
    order_ref = _clean_ref(order_ref, field="order_ref", max_length=ORDER_REF_MAX_LENGTH)
    line_ref = _clean_ref(line_ref, field="line_ref", max_length=ORDER_REF_MAX_LENGTH)
    problem = _quantity_problem(quantity)
    if problem:
        raise ValidationFailed("The quantity is not valid.", fields={"quantity": [problem]})
    if not isinstance(restock, bool):
        raise ValidationFailed("Say whether to restock.", fields={"restock": ["Must be true or false."]})

    def perform() -> dict[str, Any]:
        return {
            "units": _return_units(order_ref=order_ref, line_ref=line_ref, quantity=quantity, restock=restock)
        }

    if return_ref is None:
        with transaction.atomic():
            return perform()["units"]
    return_ref = _clean_ref(
        return_ref, field="return_ref", max_length=REF_MAX_LENGTH - ORDER_REF_MAX_LENGTH - 1
    )
    result, _ = idempotent_call(
        scope="inventory.stock_return",
        key=f"{order_ref}:{return_ref}",
        request={"line_ref": line_ref, "quantity": quantity, "restock": restock},
        perform=perform,
    )
    return int(result["units"])


def _return_units(*, order_ref: str, line_ref: str, quantity: int, restock: bool) -> int:
    now = timezone.now()
    line = Allocation.objects.filter(order_ref=order_ref, line_ref=line_ref)
    if not line.exists():
        raise ValidationFailed("This line is not part of the order.", fields={"line_ref": ["Unknown line."]})
    stocks = _lock_stocks(set(line.values_list("variant_id", flat=True)))
    shipped = list(line.filter(status=Allocation.Status.SHIPPED).order_by("pk"))
    returnable = sum(a.quantity - a.returned_quantity for a in shipped)
    if quantity > returnable:
        raise ValidationFailed(
            "More units than were shipped and not yet returned.",
            fields={"quantity": [f"At most {returnable} can be returned."]},
        )
    deltas: dict[StockKey, _Delta] = defaultdict(_Delta)
    need = quantity
    for allocation in shipped:
        take = min(allocation.quantity - allocation.returned_quantity, need)
        if take <= 0:
            continue
        done = allocation.returned_quantity + take == allocation.quantity
        moved = Allocation.objects.filter(
            pk=allocation.pk, returned_quantity=allocation.returned_quantity
        ).update(
            returned_quantity=F("returned_quantity") + take,
            status=Allocation.Status.RETURNED if done else Allocation.Status.SHIPPED,
            updated_at=now,
        )
        if not moved:
            raise Conflict("The order's stock changed; try again.", code="stock_changed")
        if restock:
            deltas[(allocation.variant_id, allocation.warehouse_id)].quantity += take
        need -= take
    _apply(stocks, deltas, now=now)
    _announce(
        name="StockReturned",
        aggregate_type="order",
        aggregate_id=order_ref,
        payload={"order_ref": order_ref, "line_ref": line_ref, "quantity": quantity, "restock": restock},
        variant_ids={a.variant_id for a in shipped},
    )
    return quantity
