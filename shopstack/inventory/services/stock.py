"""Shared rules of every stock change: input checks, row locks in id order, conditional
counter updates, the sweep of lapsed reservations, events; and stock counts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from shopstack.catalog.models import Product, ProductVariant
from shopstack.catalog.services import Actor, products_refresh, products_refresh_stock
from shopstack.core.errors import Conflict, PermissionDenied, ValidationFailed
from shopstack.core.events import events_record
from shopstack.inventory.models import Reservation, Stock, Warehouse

MAX_LINE_QUANTITY = 10_000
MAX_LINES = 200
MAX_TTL_SECONDS = 7 * 24 * 60 * 60
DEFAULT_TTL_SECONDS = 15 * 60
REF_MAX_LENGTH = 128
ORDER_REF_MAX_LENGTH = 64

StockKey = tuple[int, int]  # (variant_id, warehouse_id)
# The Stock model's own change permission: counting stock is what changing a stock row is.
STOCK_PERMISSION = "inventory.change_stock"


def stock_change_allowed(actor: Actor | None) -> bool:
    """May `actor` set stock counts? `None` is the shop itself (a command, a test); a user
    needs `inventory.change_stock`. Reservations and allocations made for checkouts and
    orders are not stock counts and need no permission."""
    return actor is None or actor.has_perm(STOCK_PERMISSION)


def stock_change_check(actor: Actor | None) -> None:
    if not stock_change_allowed(actor):
        raise PermissionDenied(
            "You may not change stock.",
            code="stock_permission",
            fields={"stock": ["Changing stock counts needs the permission 'Can change stock'."]},
        )


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


def _clean_variant_quantities(
    pairs: Sequence[tuple[object, object]], *, check_known: bool = True
) -> dict[int, int]:
    """Validate (variant_id, quantity) pairs; repeats of a variant are added together.
    `check_known=False` leaves the existence of the variants to `_refuse_unknown_variants`
    once their stock rows are locked."""
    problems: dict[str, list[str]] = {}
    wanted: dict[int, int] = {}
    for variant_id, quantity in pairs:
        if not _is_id(variant_id) or not isinstance(variant_id, int):
            problems.setdefault("lines", []).append(f"{variant_id!r} is not a product variant id.")
            continue
        key = f"variant:{variant_id}"
        problem = _quantity_problem(quantity)
        if problem or not isinstance(quantity, int):
            problems.setdefault(key, []).append(problem or "Must be a whole number.")
            continue
        wanted[variant_id] = wanted.get(variant_id, 0) + quantity
        if wanted[variant_id] > MAX_LINE_QUANTITY:
            problems.setdefault(key, []).append(f"At most {MAX_LINE_QUANTITY} at a time.")
    if check_known and wanted:
        problems.update(_unknown_variant_problems(wanted))
    if problems:
        raise ValidationFailed("Some lines are not valid.", fields=problems)
    return wanted


def _unknown_variant_problems(variant_ids: Iterable[int]) -> dict[str, list[str]]:
    ids = sorted(set(variant_ids))
    known = set(ProductVariant.objects.filter(pk__in=ids).values_list("pk", flat=True))
    return {f"variant:{v}": ["No such product variant."] for v in ids if v not in known}


def _refuse_unknown_variants(variant_ids: Iterable[int], stocks: dict[StockKey, Stock]) -> None:
    """A variant with a stock row exists (the row's foreign key says so): only variants
    without any locked row are looked up, which in the usual case is none, no query."""
    unstocked = set(variant_ids) - {key[0] for key in stocks}
    if unstocked and (problems := _unknown_variant_problems(unstocked)):
        raise ValidationFailed("Some lines are not valid.", fields=problems)


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
        # Each row comes with its warehouse's state (see `_active_warehouses`), read in
        # the same query; only the stock rows are locked.
        rows = (
            Stock.objects.select_for_update(of=("self",))
            .filter(variant_id__in=missing)
            .annotate(warehouse_active=F("warehouse__is_active"))
            .order_by("pk")
        )
        for stock in rows:
            stocks[(stock.variant_id, stock.warehouse_id)] = stock
    return stocks


def _held(ref: str) -> list[Reservation]:
    return list(Reservation.objects.filter(ref=ref, status=Reservation.Status.ACTIVE).order_by("pk"))


def _lock_held(ref: str, variant_ids: Iterable[int]) -> tuple[dict[StockKey, Stock], list[Reservation]]:
    """Lock the stock rows of `variant_ids` and of what `ref` holds; return them with the
    active reservations of `ref` as they are under those locks.

    Where another transaction may change the reservations between the first read and the
    locks (PostgreSQL), they are read again under the locks, and any variant new to them
    locked as well. SQLite's IMMEDIATE transactions hold the database's write lock from
    BEGIN, so there the first read is already the final one."""
    held = _held(ref)
    stocks = _lock_stocks(set(variant_ids) | {r.variant_id for r in held})
    if not _writes_serialized():
        held = _held(ref)
        _lock_stocks({r.variant_id for r in held}, into=stocks)
    return stocks, held


def _writes_serialized() -> bool:
    options = connection.settings_dict.get("OPTIONS", {})
    return connection.vendor == "sqlite" and options.get("transaction_mode") == "IMMEDIATE"


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


def _active_warehouses(stocks: dict[StockKey, Stock]) -> set[int]:
    """The active warehouses among the locked rows' (the only ones a plan can take from),
    as `_lock_stocks` read them."""
    return {key[1] for key, stock in stocks.items() if stock.warehouse_active}


def _announce(
    *,
    name: str,
    aggregate_type: str,
    aggregate_id: str,
    payload: dict[str, Any],
    variant_ids: Iterable[int],
    counted: bool = False,
) -> None:
    """Record what happened and that availability of the variants changed; refresh the
    products' stock flag.

    Only a product whose flag flips moves its `updated_at` (so reservations and
    allocations that leave it on sale renew no cached page, ETag or search document); a
    stock count (`counted`) moves every product it touches, as the API shows the units.
    Product rows are locked in id order first: a product's flag depends on all its
    variants, whose stock another transaction may be changing, and the lock makes the
    second one read the first one's result; the order keeps two of them from waiting on
    each other in a circle."""
    ids = sorted(set(variant_ids))
    events_record(
        [
            (name, aggregate_type, aggregate_id, payload),
            ("StockChanged", aggregate_type, aggregate_id, {"variant_ids": ids, "reason": name}),
        ]
    )
    of_variants = ProductVariant.objects.filter(pk__in=ids).values("product_id")
    product_ids = list(
        Product.objects.select_for_update()
        .filter(pk__in=of_variants)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if counted:
        products_refresh(product_ids=product_ids)
    else:
        products_refresh_stock(product_ids=product_ids)


# --- stock counts -------------------------------------------------------------------------


def stock_set_quantity(
    *, variant: ProductVariant, warehouse: Warehouse, quantity: int, actor: Actor | None
) -> Stock:
    """Set the units on hand (a stock count). Never below what is allocated to orders; a
    count below allocated + reserved releases the newest reservations until it fits (the
    units are not there, so those checkouts must not get them). An actor without the stock
    permission is refused (PermissionDenied)."""
    stock_change_check(actor)
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
            counted=True,
        )
    return stock
