"""Stock changes: counts, reservations for checkouts, allocations for orders, shipping
and returns. None of them ever sells a unit twice.

How: every change runs in one transaction that first locks the stock rows it touches in
ascending primary key (PostgreSQL; SQLite's write transactions are serialised already),
then moves the counters with conditional UPDATEs (`... WHERE quantity >= allocated +
reserved + wanted`) whose row count is checked, so the database refuses an oversell even
if a lock were missing. Reservation and allocation rows change only while their stock row
is locked. Each change writes domain events (a specific one and `StockChanged` with the
variant ids) and refreshes the products' stock flag and `updated_at`.

Expiry: a reservation past `expires_at` keeps its units in `Stock.reserved` until swept.
Reads add lapsed units back (see selectors); `stock_reserve`, `stock_allocate` and
`stock_set_quantity` sweep lapsed reservations of the stock they lock before deciding,
so nobody is refused because the `stock_expire_reservations` task has not run yet. The
task only tidies up (statuses, events, product flags).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from shopstack.catalog.models import Product, ProductVariant
from shopstack.catalog.services import products_refresh
from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.events import event_record
from shopstack.core.idempotency import idempotent_call
from shopstack.inventory.models import Allocation, Reservation, Stock, Warehouse

MAX_LINE_QUANTITY = 10_000
MAX_LINES = 200
MAX_TTL_SECONDS = 7 * 24 * 60 * 60
DEFAULT_TTL_SECONDS = 15 * 60
REF_MAX_LENGTH = 128
ORDER_REF_MAX_LENGTH = 64

StockKey = tuple[int, int]  # (variant_id, warehouse_id)


class OutOfStock(Conflict):
    """Not enough units. `available` maps each short variant id to the units left."""

    code = "out_of_stock"

    def __init__(self, available: dict[int, int]) -> None:
        self.available = dict(available)
        fields = {f"variant:{variant_id}": [_units_left(units)] for variant_id, units in available.items()}
        super().__init__("There is not enough stock for some items.", fields=fields)


def _units_left(units: int) -> str:
    return f"Only {units} left." if units > 0 else "Out of stock."


# --- validation -------------------------------------------------------------------


def _clean_ref(value: object, *, field: str, max_length: int = REF_MAX_LENGTH) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length or not value.isprintable():
        raise ValidationFailed(
            f"The {field.replace('_', ' ')} is missing or not valid.",
            fields={field: [f"Send 1 to {max_length} printable characters."]},
        )
    return value


def _quantity_problem(quantity: object) -> str | None:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        return "Must be a whole number."
    if quantity < 1:
        return "Must be at least 1."
    if quantity > MAX_LINE_QUANTITY:
        return f"At most {MAX_LINE_QUANTITY} at a time."
    return None


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _clean_variant_quantities(pairs: Sequence[tuple[object, object]]) -> dict[int, int]:
    """Validate (variant_id, quantity) pairs; repeats of a variant are added together."""
    problems: dict[str, list[str]] = {}
    wanted: dict[int, int] = {}
    for variant_id, quantity in pairs:
        if not _is_id(variant_id):
            problems.setdefault("lines", []).append(f"{variant_id!r} is not a product variant id.")
            continue
        key = f"variant:{variant_id}"
        problem = _quantity_problem(quantity)
        if problem:
            problems.setdefault(key, []).append(problem)
            continue
        wanted[variant_id] = wanted.get(variant_id, 0) + quantity  # type: ignore[index,operator]
        if wanted[variant_id] > MAX_LINE_QUANTITY:  # type: ignore[index]
            problems.setdefault(key, []).append(f"At most {MAX_LINE_QUANTITY} at a time.")
    known = set(ProductVariant.objects.filter(pk__in=list(wanted)).values_list("pk", flat=True))
    for variant_id in wanted:
        if variant_id not in known:
            problems[f"variant:{variant_id}"] = ["No such product variant."]
    if problems:
        raise ValidationFailed("Some lines are not valid.", fields=problems)
    return wanted


def _check_line_count(lines: object) -> list[Any]:
    if not isinstance(lines, list | tuple) or not lines:
        raise ValidationFailed("Send at least one line.", fields={"lines": ["Send at least one line."]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed("Too many lines.", fields={"lines": [f"At most {MAX_LINES} lines."]})
    return list(lines)


def _pairs(lines: list[Any], width: int) -> list[tuple[Any, ...]]:
    if any(not isinstance(line, list | tuple) or len(line) != width for line in lines):
        shape = "(variant_id, quantity)" if width == 2 else "(line_ref, variant_id, quantity)"
        raise ValidationFailed("Lines are not valid.", fields={"lines": [f"Each line is {shape}."]})
    return [tuple(line) for line in lines]


# --- locking and counters -------------------------------------------------------------


def _lock_stocks(
    variant_ids: Iterable[int], into: dict[StockKey, Stock] | None = None
) -> dict[StockKey, Stock]:
    """Lock every stock row of the variants, in ascending primary key, and return them.

    Always every row of a variant, whatever the warehouse: code that holds a variant's
    rows may then change any reservation or allocation of that variant."""
    stocks = into if into is not None else {}
    missing = sorted(set(variant_ids) - {key[0] for key in stocks})
    if missing:
        for stock in Stock.objects.select_for_update().filter(variant_id__in=missing).order_by("pk"):
            stocks[(stock.variant_id, stock.warehouse_id)] = stock
    return stocks


@dataclass
class _Delta:
    quantity: int = 0
    allocated: int = 0
    reserved: int = 0


def _apply(stocks: dict[StockKey, Stock], deltas: dict[StockKey, _Delta], *, now: datetime) -> None:
    """Move the counters of each stock row by a conditional UPDATE, in primary key order.

    The WHERE clause restates the row's invariant for the new values, so a row that
    changed under us is refused by the database rather than oversold.
    """
    for key in sorted(deltas, key=lambda k: stocks[k].pk):
        delta, stock = deltas[key], stocks[key]
        if delta == _Delta():
            continue
        condition = Q(
            pk=stock.pk,
            quantity__gte=F("allocated")
            + F("reserved")
            + (delta.allocated + delta.reserved - delta.quantity),
        )
        if delta.allocated < 0:
            condition &= Q(allocated__gte=-delta.allocated)
        if delta.reserved < 0:
            condition &= Q(reserved__gte=-delta.reserved)
        if delta.quantity < 0:
            condition &= Q(quantity__gte=-delta.quantity)
        moved = Stock.objects.filter(condition).update(
            quantity=F("quantity") + delta.quantity,
            allocated=F("allocated") + delta.allocated,
            reserved=F("reserved") + delta.reserved,
            updated_at=now,
        )
        if not moved:
            if delta.allocated + delta.reserved - delta.quantity > 0:
                raise OutOfStock({key[0]: _free_units_now(key[0])})
            raise Conflict("The stock changed; try again.", code="stock_changed")
        stock.quantity += delta.quantity
        stock.allocated += delta.allocated
        stock.reserved += delta.reserved


def _sweep_lapsed(
    stocks: dict[StockKey, Stock], *, now: datetime, variant_ids: Iterable[int] = ()
) -> list[Reservation]:
    """Expire lapsed reservations of the locked variants (and of `variant_ids`, whose stock
    rows `_lock_stocks` has locked too, if they still exist), freeing their units."""
    variants = sorted({key[0] for key in stocks} | set(variant_ids))
    if not variants:
        return []
    lapsed = list(
        Reservation.objects.filter(
            variant_id__in=variants, status=Reservation.Status.ACTIVE, expires_at__lte=now
        ).order_by("pk")
    )
    return _end_reservations(stocks, lapsed, status=Reservation.Status.EXPIRED, now=now)


def _end_reservations(
    stocks: dict[StockKey, Stock],
    reservations: list[Reservation],
    *,
    status: str,
    now: datetime,
    used: dict[int, int] | None = None,
) -> list[Reservation]:
    """Mark active reservations ended and give their units back (the `used` part of each,
    by reservation id, moves to `allocated` instead). Returns those that were ended."""
    deltas: dict[StockKey, _Delta] = defaultdict(_Delta)
    ended = []
    for reservation in reservations:
        if not Reservation.objects.filter(pk=reservation.pk, status=Reservation.Status.ACTIVE).update(
            status=status, updated_at=now
        ):
            continue  # someone else ended it first
        reservation.status = status
        key = (reservation.variant_id, reservation.warehouse_id)
        if key in stocks:  # a deleted stock row has no counters left to give back
            deltas[key].reserved -= reservation.quantity
            deltas[key].allocated += (used or {}).get(reservation.pk, 0)
        ended.append(reservation)
    _apply(stocks, deltas, now=now)
    return ended


def _plan_take(
    stocks: dict[StockKey, Stock], active_warehouses: set[int], *, variant_id: int, quantity: int
) -> list[tuple[StockKey, int]] | None:
    """Where to take `quantity` free units of a variant: one warehouse that has them all
    if there is one, else split over warehouses in id order. None when there are too few."""
    candidates = sorted(
        (key for key, stock in stocks.items() if key[0] == variant_id and key[1] in active_warehouses),
        key=lambda key: key[1],
    )
    for key in candidates:
        if stocks[key].available >= quantity:
            return [(key, quantity)]
    plan, need = [], quantity
    for key in candidates:
        take = min(stocks[key].available, need)
        if take > 0:
            plan.append((key, take))
            need -= take
    return plan if need == 0 else None


def _free_units(stocks: dict[StockKey, Stock], active_warehouses: set[int], variant_id: int) -> int:
    return sum(
        max(stock.available, 0)
        for key, stock in stocks.items()
        if key[0] == variant_id and key[1] in active_warehouses
    )


def _free_units_now(variant_id: int) -> int:
    free = Stock.objects.filter(variant_id=variant_id, warehouse__is_active=True).aggregate(
        units=Sum(F("quantity") - F("allocated") - F("reserved"))
    )["units"]
    return max(int(free or 0), 0)


def _active_warehouses() -> set[int]:
    return set(Warehouse.objects.filter(is_active=True).values_list("pk", flat=True))


def _announce(
    *, name: str, aggregate_type: str, aggregate_id: str, payload: dict[str, Any], variant_ids: Iterable[int]
) -> None:
    """Record what happened and that availability of the variants changed; refresh the
    products' stock flag. Product rows are locked in id order so that two transactions
    refreshing the same products never wait on each other in a circle."""
    ids = sorted(set(variant_ids))
    event_record(name=name, aggregate_type=aggregate_type, aggregate_id=aggregate_id, payload=payload)
    event_record(
        name="StockChanged",
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        payload={"variant_ids": ids, "reason": name},
    )
    product_ids = sorted(set(ProductVariant.objects.filter(pk__in=ids).values_list("product_id", flat=True)))
    list(Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk").values_list("pk"))
    products_refresh(product_ids=product_ids)


# --- stock counts -------------------------------------------------------------------------


def stock_set_quantity(*, variant: ProductVariant, warehouse: Warehouse, quantity: int) -> Stock:
    """Set the units on hand (a stock count). Never below what is allocated to orders; a
    count below allocated + reserved releases the newest reservations until it fits (the
    units are not there, so those checkouts must not get them)."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValidationFailed("Stock cannot be negative.", fields={"quantity": ["Must be zero or more."]})
    now = timezone.now()
    with transaction.atomic():
        Stock.objects.get_or_create(variant=variant, warehouse=warehouse)
        stocks = _lock_stocks([variant.pk])
        stock = stocks[(variant.pk, warehouse.pk)]
        if quantity < stock.allocated:
            raise ValidationFailed(
                f"{stock.allocated} units are allocated to orders; the count cannot be lower.",
                fields={"quantity": [f"Must be at least {stock.allocated}."]},
            )
        _sweep_lapsed(stocks, now=now)
        released: list[Reservation] = []
        if quantity < stock.allocated + stock.reserved:
            excess = stock.allocated + stock.reserved - quantity
            for reservation in Reservation.objects.filter(
                variant=variant, warehouse=warehouse, status=Reservation.Status.ACTIVE
            ).order_by("-created_at", "-pk"):
                if excess <= 0:
                    break
                released += _end_reservations(
                    stocks, [reservation], status=Reservation.Status.RELEASED, now=now
                )
                excess -= reservation.quantity
        _apply(stocks, {(variant.pk, warehouse.pk): _Delta(quantity=quantity - stock.quantity)}, now=now)
        stock.refresh_from_db()
        _announce(
            name="StockCounted",
            aggregate_type="stock",
            aggregate_id=str(stock.pk),
            payload={
                "variant_id": variant.pk,
                "warehouse_id": warehouse.pk,
                "quantity": quantity,
                "released_refs": sorted({r.ref for r in released}),
            },
            variant_ids=[variant.pk],
        )
    return stock


# --- reservations ---------------------------------------------------------------------------


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
    wanted = _clean_variant_quantities(_pairs(_check_line_count(lines), 2))
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
        held_ids = Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE).values_list(
            "variant_id", flat=True
        )
        stocks = _lock_stocks(set(wanted) | set(held_ids))
        held = list(Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE).order_by("pk"))
        _lock_stocks({r.variant_id for r in held}, into=stocks)  # held changed while we waited
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
        active_warehouses = _active_warehouses()
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
    return list(Reservation.objects.filter(pk__in=[r.pk for r in created]).order_by("pk"))


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


# --- allocations --------------------------------------------------------------------------


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
    _clean_variant_quantities([(variant_id, quantity) for _, variant_id, quantity in triples])
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
        held_ids = Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE).values_list(
            "variant_id", flat=True
        )
        stocks = _lock_stocks({variant_id for _, variant_id, _ in wanted} | set(held_ids))
        # Checked under the locks: a racing call for the same order has committed by now.
        existing = list(
            Allocation.objects.filter(order_ref=order_ref).order_by("line_ref", "warehouse_id", "pk")
        )
        if existing:
            return _same_allocation(existing, wanted)
        held = list(Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE).order_by("pk"))
        _lock_stocks({r.variant_id for r in held}, into=stocks)
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
        _sweep_lapsed(stocks, now=now)
        active_warehouses = _active_warehouses()
        short: dict[int, int] = {}
        deltas: dict[StockKey, _Delta] = defaultdict(_Delta)
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
    return list(Allocation.objects.filter(order_ref=order_ref).order_by("line_ref", "warehouse_id", "pk"))


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
