"""Fulfilment: pick lines into a shipment, ship it with the carrier, mark it delivered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.faults import fault_point
from shopstack.inventory.services import stock_ship
from shopstack.orders.models import Order, OrderAddress, OrderLine, Shipment, ShipmentLine
from shopstack.orders.services.common import (
    order_locked,
    order_log,
    order_pending_step,
    order_request_step,
    order_touch,
)
from shopstack.shipping.backends import carrier
from shopstack.shipping.models import ShippingMethod

SHIPPABLE = {Order.Status.PAID, Order.Status.PARTIALLY_SHIPPED}


def _clean_lines(
    order: Order, lines: object, *, limit: dict[int, int], what: str
) -> list[tuple[OrderLine, int]]:
    """[(line_id, quantity)] -> [(line, quantity)], each quantity within `limit[line_id]`."""
    if not isinstance(lines, list | tuple) or not lines:
        raise ValidationFailed(f"Choose the lines to {what}.", fields={"lines": ["Give at least one line."]})
    by_id = {line.pk: line for line in order.lines.all()}
    problems: list[str] = []
    chosen: dict[int, int] = {}
    for item in lines:
        if not isinstance(item, list | tuple) or len(item) != 2:
            problems.append(f"{item!r} is not a (line id, quantity) pair.")
            continue
        line_id, quantity = item
        if line_id not in by_id:
            problems.append(f"Line {line_id} is not part of this order.")
        elif isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            problems.append(f"Line {line_id}: the quantity must be a whole number above zero.")
        elif line_id in chosen:
            problems.append(f"Line {line_id} appears twice.")
        elif quantity > limit.get(line_id, 0):
            problems.append(f"Line {line_id}: at most {limit.get(line_id, 0)} can be {what}ed.")
        else:
            chosen[line_id] = quantity
    if problems:
        raise ValidationFailed(f"Some lines cannot be {what}ed.", fields={"lines": problems})
    return [(by_id[line_id], quantity) for line_id, quantity in chosen.items()]


def _unshipped(order: Order) -> dict[int, int]:
    """Units of each line not yet in any shipment."""
    in_shipments = dict(
        ShipmentLine.objects.filter(shipment__order=order)
        .values("line_id")
        .annotate(total=Sum("quantity"))
        .values_list("line_id", "total")
    )
    return {line.pk: line.quantity - in_shipments.get(line.pk, 0) for line in order.lines.all()}


def order_ship(
    *,
    order: Order,
    lines: Sequence[tuple[int, int]],
    actor_id: int | None = None,
    tracking_number: str = "",
    carrier_name: str = "",
) -> Shipment:
    """Pick `lines` [(line_id, quantity)] of a paid order into a new shipment.

    Without `tracking_number` a worker asks the configured carrier for the label (then
    OrderShipped); with one (a parcel sent outside the shop's carrier) it is shipped now.
    At most what is ordered and not yet in a shipment; ValidationFailed (field "lines")
    otherwise, Conflict (code order_state) when the order is not paid or is cancelled.
    """
    tracking_number = (tracking_number or "").strip()
    if len(tracking_number) > 64:
        raise ValidationFailed(
            "The tracking number is too long.", fields={"tracking_number": ["At most 64."]}
        )
    with transaction.atomic():
        order = order_locked(order.pk)
        if order.status not in SHIPPABLE:
            raise Conflict(
                f"A {order.get_status_display().lower()} order cannot be shipped.",
                code="order_state",
                fields={"status": ["Capture the payment first; cancelled orders are not shipped."]},
            )
        chosen = _clean_lines(order, list(lines), limit=_unshipped(order), what="ship")
        count = order.shipments.count() + 1
        shipment = Shipment.objects.create(
            order=order, ref=f"{order.number}-S{count}", actor_id=actor_id, carrier=carrier_name[:64]
        )
        ShipmentLine.objects.bulk_create(
            [ShipmentLine(shipment=shipment, line=line, quantity=quantity) for line, quantity in chosen]
        )
        order_log(
            order,
            "picking",
            f"Picking {sum(q for _, q in chosen)} units into shipment {shipment.ref}.",
            data={"shipment_id": shipment.pk, "lines": [[line.pk, q] for line, q in chosen]},
            actor_id=actor_id,
        )
        if tracking_number:
            url = ""
            _shipment_shipped(order, shipment, tracking_number=tracking_number, tracking_url=url)
        else:
            order_request_step(order, "ship")
    return shipment


def _service_code(order: Order) -> str:
    method = ShippingMethod.objects.filter(pk=order.shipping_method_id).first()
    return method.code if method else "standard"


def step_ship(order: Order) -> bool:
    """Get a label for every shipment being picked, then record it (and move the stock)."""
    address = OrderAddress.objects.filter(order=order, kind=OrderAddress.Kind.SHIPPING).first()
    for shipment in order.shipments.filter(status=Shipment.Status.PICKING).order_by("pk"):
        units = shipment.lines.aggregate(total=Sum("quantity"))["total"] or 1
        ordered = order.lines.aggregate(total=Sum("quantity"))["total"] or 1
        label = carrier().create_shipment(
            shipment_ref=shipment.ref,
            idempotency_key=f"label-{shipment.ref}",
            service_code=_service_code(order),
            weight_grams=max(1, (order.weight_grams or 1) * units // ordered),
            to_country=address.country if address else order.country,
            to_postal_code=address.postal_code if address else "",
        )
        fault_point("after_label")
        with transaction.atomic():
            locked = order_locked(order.pk)
            shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
            if shipment.status != Shipment.Status.PICKING:
                continue
            _shipment_shipped(
                locked,
                shipment,
                tracking_number=label.tracking_number,
                tracking_url=label.tracking_url,
                carrier_name=type(carrier()).__name__,
            )
    with transaction.atomic():
        order = order_locked(order.pk)
        order_touch(order, next_step=order_pending_step(order))
    return bool(order.next_step)


def _shipment_shipped(
    order: Order, shipment: Shipment, *, tracking_number: str, tracking_url: str, carrier_name: str = ""
) -> None:
    """Record a shipped parcel (inside the transaction, order and shipment locked)."""
    now = timezone.now()
    shipment.status, shipment.shipped_at = Shipment.Status.SHIPPED, now
    shipment.tracking_number, shipment.tracking_url = tracking_number, tracking_url
    shipment.carrier = shipment.carrier or carrier_name
    shipment.save(update_fields=["status", "shipped_at", "tracking_number", "tracking_url", "carrier"])
    moved: list[dict[str, Any]] = []
    finished: list[str] = []
    for item in shipment.lines.select_related("line"):
        line = item.line
        line.quantity_shipped += item.quantity
        line.save(update_fields=["quantity_shipped"])
        moved.append({"line_id": line.pk, "sku": line.sku, "quantity": item.quantity})
        if line.quantity_shipped >= line.quantity:
            finished.append(str(line.pk))
    if finished:
        # Allocations move per line: a line's stock leaves when its last unit ships.
        stock_ship(order_ref=order.number, line_refs=finished)
    everything = all(line.quantity_shipped >= line.quantity for line in order.lines.all())
    status = Order.Status.SHIPPED if everything else Order.Status.PARTIALLY_SHIPPED
    fulfilment = Order.FulfilmentState.SHIPPED if everything else Order.FulfilmentState.PARTIALLY_SHIPPED
    order_touch(order, status=status, fulfilment_status=fulfilment)
    order_log(
        order,
        "shipped",
        f"Shipment {shipment.ref} shipped, tracking {tracking_number}.",
        data={
            "shipment_id": shipment.pk,
            "shipment_ref": shipment.ref,
            "tracking_number": tracking_number,
            "tracking_url": tracking_url,
            "lines": moved,
        },
        event="OrderShipped",
    )


def order_mark_delivered(
    *, order: Order, shipment: Shipment | None = None, actor_id: int | None = None
) -> Order:
    """The carrier (or staff) says the parcel arrived: one shipment, or every shipped one.
    When every unit has been delivered the order is delivered (OrderDelivered). Idempotent."""
    with transaction.atomic():
        order = order_locked(order.pk)
        shipped = order.shipments.filter(status=Shipment.Status.SHIPPED)
        if shipment is not None:
            if shipment.order_id != order.pk:
                raise ValidationFailed(
                    "Not a shipment of this order.", fields={"shipment": ["Unknown shipment."]}
                )
            shipped = shipped.filter(pk=shipment.pk)
        targets = list(shipped)
        if not targets and not order.shipments.filter(status=Shipment.Status.DELIVERED).exists():
            raise Conflict(
                "Nothing has been shipped yet.", code="order_state", fields={"status": ["Ship first."]}
            )
        now = timezone.now()
        for target in targets:
            target.status, target.delivered_at = Shipment.Status.DELIVERED, now
            target.save(update_fields=["status", "delivered_at"])
            order_log(
                order,
                "shipment_delivered",
                f"Shipment {target.ref} delivered.",
                data={"shipment_id": target.pk},
                actor_id=actor_id,
            )
        all_shipped = order.status == Order.Status.SHIPPED
        none_open = not order.shipments.exclude(status=Shipment.Status.DELIVERED).exists()
        if targets and all_shipped and none_open:
            order_touch(
                order, status=Order.Status.DELIVERED, fulfilment_status=Order.FulfilmentState.DELIVERED
            )
            order_log(
                order,
                "delivered",
                "Every parcel has been delivered.",
                data={"shipments": [s.pk for s in order.shipments.all()]},
                actor_id=actor_id,
                event="OrderDelivered",
            )
    return order
