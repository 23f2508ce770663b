"""The warehouse's tables: their place under the warehouse root and their columns.

This module is the contract between the compaction that writes the warehouse and the
metrics that read it, and the open export a BI tool reads (docs/analytics.md):

    <root>/events/day=YYYY-MM-DD/events.parquet    one file per UTC day of occurred_at
    <root>/facts/<table>.parquet                    rebuilt from the shop's tables each run
    <root>/facts/stock_levels/YYYY-MM-DD.parquet    one snapshot per day (see fact_glob)
    <root>/dims/<table>.parquet                     snapshots of what the facts refer to

Money is an integer of minor units (pence) with the currency beside it: sums and ratios
come out the same on every engine, with no decimal scale rules to disagree on. Times are
UTC microseconds. Ids are the shop's own primary keys.
"""

from __future__ import annotations

import pyarrow as pa

from shopstack.analytics.schema import FIELD_NAMES

TIME = pa.timestamp("us", tz="UTC")
ID = pa.int64()
MONEY = pa.int64()
TEXT = pa.string()

_EVENT_TYPES: dict[str, pa.DataType] = {
    "schema_version": pa.int16(),
    "occurred_at": TIME,
    "received_at": TIME,
    "consent": pa.bool_(),
    "is_bot": pa.bool_(),
    "customer_id": ID,
    "product_id": ID,
    "variant_id": ID,
    "category_id": ID,
    "order_id": ID,
    "result_count": pa.int32(),
    "position": pa.int32(),
    "quantity": pa.int32(),
    "value_minor": MONEY,
    "engaged_ms": pa.int64(),
}
# Every field of AnalyticsEvent, in its order; anything not typed above is text.
EVENTS = pa.schema([pa.field(name, _EVENT_TYPES.get(name, TEXT)) for name in FIELD_NAMES])
# Columns written without a dictionary, in any table: (nearly) every value differs, so one
# would only cost time (files.py: a quarter less of the events' writing time).
PLAIN_COLUMNS = frozenset({"event_id", "occurred_at", "received_at", "engaged_ms"})


def _schema(*columns: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, kind) for name, kind in columns])


FACTS: dict[str, pa.Schema] = {
    "orders": _schema(
        ("order_id", ID),
        ("number", TEXT),
        ("customer_id", ID),
        ("channel", TEXT),  # web or app (imported orders: web)
        ("source", TEXT),  # shop, api, import
        ("country", TEXT),  # ISO alpha-2 of the shipping address, else the order's
        ("currency", TEXT),
        ("status", TEXT),
        ("payment_status", TEXT),
        ("fulfilment_status", TEXT),
        ("placed_at", TIME),
        ("paid_at", TIME),
        ("shipped_at", TIME),
        ("delivered_at", TIME),
        ("cancelled_at", TIME),
        ("subtotal_minor", MONEY),
        ("discount_minor", MONEY),
        ("shipping_minor", MONEY),  # shipping charged to the customer
        ("tax_minor", MONEY),
        ("total_minor", MONEY),
        ("refunded_minor", MONEY),
        ("voucher_code", TEXT),
        ("shipping_method_id", ID),
        ("shipping_method", TEXT),
        ("shipping_zone", TEXT),
        ("carrier", TEXT),
        ("warehouse_id", ID),
        ("units", pa.int32()),
        ("is_first_order", pa.bool_()),
        # order, or cancellation: an imported cancellation invoice (status cancelled) whose
        # lines count the units cancelled from an earlier order.
        ("kind", TEXT),
    ),
    "order_lines": _schema(
        ("line_id", ID),
        ("order_id", ID),
        ("placed_at", TIME),
        ("product_id", ID),
        ("variant_id", ID),
        ("category_id", ID),
        ("sku", TEXT),
        ("product_name", TEXT),
        ("quantity", pa.int32()),
        ("unit_price_minor", MONEY),
        ("total_minor", MONEY),
        ("refunded_minor", MONEY),
        ("quantity_returned", pa.int32()),
    ),
    "payments": _schema(
        ("payment_id", ID),
        ("order_id", ID),
        ("gateway", TEXT),
        ("status", TEXT),
        ("amount_minor", MONEY),
        ("captured_minor", MONEY),
        ("refunded_minor", MONEY),
        ("currency", TEXT),
        ("created_at", TIME),
        ("failure_code", TEXT),
    ),
    "shipments": _schema(
        ("shipment_id", ID),
        ("order_id", ID),
        ("status", TEXT),
        ("carrier", TEXT),
        ("created_at", TIME),
        ("shipped_at", TIME),
        ("delivered_at", TIME),
    ),
    "returns": _schema(
        ("return_id", ID),
        ("order_id", ID),
        ("status", TEXT),
        ("created_at", TIME),
        ("refund_minor", MONEY),
        ("units", pa.int32()),
    ),
    # One row per variant and warehouse for each day a compaction ran (history for days of
    # cover and days out of stock): a file per day, the day's last snapshot (fact_glob).
    "stock_levels": _schema(
        ("day", pa.date32()),
        ("variant_id", ID),
        ("product_id", ID),
        ("warehouse_id", ID),
        ("quantity", pa.int32()),
        ("allocated", pa.int32()),
        ("reserved", pa.int32()),
    ),
    # Imported from a CSV per campaign and day (docs/analytics.md).
    "ad_spend": _schema(
        ("day", pa.date32()),
        ("utm_source", TEXT),
        ("utm_medium", TEXT),
        ("utm_campaign", TEXT),
        ("cost_minor", MONEY),
        ("currency", TEXT),
    ),
}

DIMS: dict[str, pa.Schema] = {
    "products": _schema(
        ("product_id", ID),
        ("code", TEXT),
        ("name", TEXT),
        ("slug", TEXT),
        ("category_id", ID),
        ("price_minor", MONEY),
        ("currency", TEXT),
        ("is_published", pa.bool_()),
    ),
    "variants": _schema(("variant_id", ID), ("product_id", ID), ("sku", TEXT), ("name", TEXT)),
    "categories": _schema(
        ("category_id", ID),
        ("name", TEXT),
        ("slug", TEXT),
        ("parent_id", ID),
        ("top_category_id", ID),
        # "/1/5/9/": the ids from the top down to this one, so "in category 5 or below" is
        # one LIKE '%/5/%' on either engine.
        ("path", TEXT),
    ),
    "customers": _schema(
        ("customer_id", ID),
        ("joined_at", TIME),
        ("country", TEXT),
        ("age_band", TEXT),  # optional profile field, only with the customer's consent
    ),
    "warehouses": _schema(("warehouse_id", ID), ("name", TEXT), ("country", TEXT)),
    "shipping_methods": _schema(
        ("shipping_method_id", ID),
        ("name", TEXT),
        ("code", TEXT),
        ("zone", TEXT),
        ("max_days", pa.int32()),  # the longest delivery promised (days): later shipping is late
    ),
}


def events_path(root: str, day: str) -> str:
    return f"{root.rstrip('/')}/events/day={day}/events.parquet"


# Facts kept as one file per day rather than one file: a day's snapshot replaces only that day.
DAILY_FACTS = frozenset({"stock_levels"})


def fact_path(root: str, table: str, day: str = "") -> str:
    """The file of a fact table (of the day `day` for the daily ones, DAILY_FACTS)."""
    if table in DAILY_FACTS:
        if not day:
            raise ValueError(f"facts/{table} has a file per day: name the day")
        return f"{root.rstrip('/')}/facts/{table}/{day}.parquet"
    return f"{root.rstrip('/')}/facts/{table}.parquet"


def fact_glob(root: str, table: str) -> str:
    """Every file of a fact table, as a glob DuckDB's read_parquet (and Spark) accept."""
    if table in DAILY_FACTS:
        return f"{root.rstrip('/')}/facts/{table}/*.parquet"
    return fact_path(root, table)


def dim_path(root: str, table: str) -> str:
    return f"{root.rstrip('/')}/dims/{table}.parquet"
