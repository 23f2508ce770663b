"""The warehouse's facts, read from the shop's own tables (columns: layout.FACTS).

Rebuilt in full on each run, so a fact always says what the shop says now (a refund or a
late delivery changes the order's row). Amounts are integers of minor units of the row's
currency (values.to_minor), times UTC.

Where the columns come from:
- orders.paid_at, shipped_at, delivered_at, cancelled_at: the first entry of that step in
  the order's log ("captured", "shipped", "delivered", "cancelled"); shipped_at falls back
  to the first shipment's shipped_at. Imported history has no log: a completed imported
  order was paid when placed, an imported cancellation was cancelled when issued.
- orders.channel: "app" for orders placed through the API (source "api"), else "web".
- orders.country: the shipping address's country, else the order's own (imported orders
  name it in words: values.country_code).
- orders.shipping_minor: the order's shipping charges (code "shipping"; in imported
  history the postage and carriage lines, POST, DOT and C2).
- orders.carrier: the first shipment's carrier; orders.warehouse_id: the warehouse of the
  order's first stock allocation.
- orders.is_first_order: the customer's first order by time (cancelled or not); a guest's
  by email address, which is compared in the database and not copied to the warehouse; a
  guest without an address (imported history) is never counted as new.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateTimeField,
    DecimalField,
    ExpressionWrapper,
    F,
    Field,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Concat, Lower, RowNumber

from shopstack.analytics.warehouse.layout import FACTS
from shopstack.analytics.warehouse.rows import CHUNK_ROWS, Row, record_batches
from shopstack.analytics.warehouse.values import country_code, to_minor
from shopstack.inventory.models import Allocation, Stock
from shopstack.orders.models import (
    Order,
    OrderAddress,
    OrderCharge,
    OrderEvent,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    Shipment,
)
from shopstack.payments.models import Payment
from shopstack.shipping.models import ShippingMethod

SHIPPING_CHARGE_CODES = ("shipping", "POST", "DOT", "C2")
IMPORT_SOURCE = "import"
_AMOUNT = DecimalField(max_digits=14, decimal_places=2)


def _first_log(kind: str) -> Subquery:
    entries = OrderEvent.objects.filter(order=OuterRef("pk"), kind=kind).order_by("pk")
    return Subquery(entries.values("created_at")[:1], output_field=DateTimeField())


def _total(rows: QuerySet[Any], parent: str, field: str, output: Field[Any, Any]) -> Subquery:
    # SUM in a correlated subquery: `rows` are the children of one parent row, grouped by it.
    return Subquery(rows.values(parent).annotate(total=Sum(field)).values("total"), output_field=output)


def orders() -> Iterator[pa.RecordBatch]:
    buyer = Case(
        When(customer__isnull=False, then=Concat(Value("c"), Cast("customer_id", CharField()))),
        default=Concat(Value("e"), Lower("email")),
        output_field=CharField(),
    )
    charges = OrderCharge.objects.filter(order=OuterRef("pk"), code__in=SHIPPING_CHARGE_CODES)
    lines = OrderLine.objects.filter(order=OuterRef("pk"))
    anonymous_guest = Q(customer__isnull=True, email="")
    rows = (
        Order.objects.order_by("pk")
        .annotate(
            paid_log=_first_log("captured"),
            shipped_log=_first_log("shipped"),
            delivered_log=_first_log("delivered"),
            cancelled_log=_first_log("cancelled"),
            first_shipped=Subquery(
                Shipment.objects.filter(order=OuterRef("pk"), shipped_at__isnull=False)
                .order_by("shipped_at", "pk")
                .values("shipped_at")[:1]
            ),
            shipping_country=Subquery(
                OrderAddress.objects.filter(order=OuterRef("pk"), kind=OrderAddress.Kind.SHIPPING).values(
                    "country"
                )[:1]
            ),
            zone=Subquery(
                ShippingMethod.objects.filter(pk=OuterRef("shipping_method_id")).values("zone__name")[:1]
            ),
            first_carrier=Subquery(
                Shipment.objects.filter(order=OuterRef("pk"))
                .exclude(carrier="")
                .order_by("pk")
                .values("carrier")[:1]
            ),
            first_warehouse=Subquery(
                Allocation.objects.filter(order_ref=OuterRef("number"))
                .order_by("pk")
                .values("warehouse_id")[:1]
            ),
            unit_count=_total(lines, "order", "quantity", IntegerField()),
            shipping_total=_total(charges, "order", "amount", _AMOUNT),
            anonymous_guest=ExpressionWrapper(anonymous_guest, output_field=BooleanField()),
            buyer_rank=Window(
                RowNumber(), partition_by=[buyer, F("kind")], order_by=[F("placed_at").asc(), F("pk").asc()]
            ),
        )
        .values_list(
            "pk",
            "number",
            "customer_id",
            "source",
            "shipping_country",
            "country",
            "currency",
            "status",
            "payment_status",
            "fulfilment_status",
            "placed_at",
            "paid_log",
            "shipped_log",
            "first_shipped",
            "delivered_log",
            "cancelled_log",
            "subtotal_amount",
            "discount_amount",
            "shipping_total",
            "tax_amount",
            "total_amount",
            "refunded_amount",
            "voucher_code",
            "shipping_method_id",
            "shipping_method_name",
            "zone",
            "first_carrier",
            "first_warehouse",
            "unit_count",
            "anonymous_guest",
            "buyer_rank",
            "kind",
        )
    )
    return record_batches(rows.iterator(chunk_size=CHUNK_ROWS), FACTS["orders"], _order_row)


def _order_row(row: Row) -> Row:
    (
        pk, number, customer_id, source, shipping_country, country, currency, status, payment_status,
        fulfilment_status, placed_at, paid_log, shipped_log, first_shipped, delivered_log, cancelled_log,
        subtotal, discount, shipping, tax, total, refunded, voucher_code, method_id, method_name, zone,
        carrier, warehouse_id, units, anonymous_guest, buyer_rank, kind,
    ) = row  # fmt: skip
    imported = source == IMPORT_SOURCE
    paid_at = paid_log or (placed_at if imported and status == Order.Status.COMPLETED else None)
    cancelled_at = cancelled_log or (placed_at if imported and status == Order.Status.CANCELLED else None)
    return (
        pk,
        number,
        customer_id,
        "app" if source == "api" else "web",
        source,
        shipping_country or country_code(country),
        currency,
        status,
        payment_status,
        fulfilment_status,
        placed_at,
        paid_at,
        shipped_log or first_shipped,
        delivered_log,
        cancelled_at,
        to_minor(subtotal, currency),
        to_minor(discount, currency),
        to_minor(shipping, currency) or 0,
        to_minor(tax, currency),
        to_minor(total, currency),
        to_minor(refunded, currency),
        voucher_code,
        method_id,
        method_name,
        zone or "",
        carrier or "",
        warehouse_id,
        units or 0,
        buyer_rank == 1 and kind == Order.Kind.ORDER and not anonymous_guest,
        kind,
    )


def order_lines() -> Iterator[pa.RecordBatch]:
    rows = (
        OrderLine.objects.order_by("pk")
        .values_list(
            "pk",
            "order_id",
            "order__placed_at",
            "variant__product_id",
            "variant_id",
            "variant__product__category_id",
            "sku",
            "product_name",
            "quantity",
            "unit_price_amount",
            "total_amount",
            "refunded_amount",
            "quantity_returned",
            "order__currency",
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )

    def convert(row: Row) -> Row:
        *ids, quantity, unit_price, total, refunded, returned, currency = row
        return (
            *ids,
            quantity,
            to_minor(unit_price, currency),
            to_minor(total, currency),
            to_minor(refunded, currency),
            returned,
        )

    return record_batches(rows, FACTS["order_lines"], convert)


def payments() -> Iterator[pa.RecordBatch]:
    # A payment names what it pays for by reference; an order's payments carry its payment_ref.
    order_of = Order.objects.filter(payment_ref=OuterRef("ref")).exclude(payment_ref="").values("pk")[:1]
    rows = (
        Payment.objects.order_by("pk")
        .annotate(order_pk=Subquery(order_of))
        .values_list(
            "pk",
            "order_pk",
            "gateway",
            "status",
            "amount",
            "captured_amount",
            "refunded_amount",
            "currency",
            "created_at",
            "failure_code",
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )

    def convert(row: Row) -> Row:
        pk, order_id, gateway, status, amount, captured, refunded, currency, created_at, failure = row
        return (
            pk,
            order_id,
            gateway,
            status,
            to_minor(amount, currency),
            to_minor(captured, currency),
            to_minor(refunded, currency),
            currency,
            created_at,
            failure,
        )

    return record_batches(rows, FACTS["payments"], convert)


def shipments() -> Iterator[pa.RecordBatch]:
    rows = (
        Shipment.objects.order_by("pk")
        .values_list("pk", "order_id", "status", "carrier", "created_at", "shipped_at", "delivered_at")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    return record_batches(rows, FACTS["shipments"])


def returns() -> Iterator[pa.RecordBatch]:
    units = _total(ReturnLine.objects.filter(rma=OuterRef("pk")), "rma", "quantity", IntegerField())
    rows = (
        ReturnRequest.objects.order_by("pk")
        .annotate(unit_count=units)
        .values_list(
            "pk", "order_id", "status", "created_at", "refund_amount", "order__currency", "unit_count"
        )
        .iterator(chunk_size=CHUNK_ROWS)
    )

    def convert(row: Row) -> Row:
        pk, order_id, status, created_at, refund, currency, unit_count = row
        return (pk, order_id, status, created_at, to_minor(refund, currency), unit_count or 0)

    return record_batches(rows, FACTS["returns"], convert)


def stock_levels(day: date) -> Iterator[pa.RecordBatch]:
    """Every variant's stock in every warehouse now, as the snapshot of `day`."""
    rows = (
        Stock.objects.order_by("variant_id", "warehouse_id")
        .values_list("variant_id", "variant__product_id", "warehouse_id", "quantity", "allocated", "reserved")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    return record_batches(rows, FACTS["stock_levels"], lambda row: (day, *row))


# The facts rebuilt whole on each run, by table name (stock_levels and ad_spend are kept by day
# and by import: snapshots.py and ad_spend.py).
REBUILT = {
    "orders": orders,
    "order_lines": order_lines,
    "payments": payments,
    "shipments": shipments,
    "returns": returns,
}
