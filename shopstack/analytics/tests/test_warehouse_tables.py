"""Facts and dimension snapshots: the layout's columns, with the shop's values, money exact."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from shopstack.analytics.warehouse.layout import DIMS, FACTS, dim_path, fact_glob, fact_path
from shopstack.analytics.warehouse.snapshots import tables_rebuild
from shopstack.inventory.models import Warehouse
from shopstack.orders.models import (
    Order,
    OrderEvent,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    Shipment,
)
from shopstack.orders.services import order_place
from shopstack.payments.models import Payment
from shopstack.shipping.models import ShippingMethod
from shopstack.testing.customer_orders import make_customer, make_history, make_order
from shopstack.testing.factories import make_category
from shopstack.testing.inventory import make_stocked_variant
from shopstack.testing.orders import make_draft
from shopstack.testing.pricing import ensure_tax_seed

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _tax():
    ensure_tax_seed()


@pytest.fixture
def root(settings, tmp_path) -> str:
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "warehouse")
    return settings.ANALYTICS_WAREHOUSE_ROOT


def _rows(path: str, schema) -> dict[int, dict]:
    file = pq.ParquetFile(path)
    assert file.schema_arrow.equals(schema), f"{path} has another schema than the layout's"
    return {row[schema.names[0]]: row for row in file.read().to_pylist()}


def _logged(order: Order, kind: str, at: datetime) -> None:
    entry = OrderEvent.objects.create(order=order, kind=kind)
    OrderEvent.objects.filter(pk=entry.pk).update(created_at=at)


def _minor(amount: Decimal) -> int:
    return int(amount * 100)


@pytest.fixture
def shop():
    """Ann's imported history, her order placed through the app (paid, shipped, delivered,
    partly returned), two guest orders by one address, and imported rows without one."""
    ann = make_customer("ann@example.com")
    ann.country = "United Kingdom"
    ann.save(update_fields=["country"])
    (history,) = make_history(ann, 1, start=datetime(2026, 1, 5, 10, tzinfo=UTC))
    Order.objects.filter(pk=history.pk).update(country="EIRE")
    cancellation = make_order(
        customer=ann,
        status=Order.Status.CANCELLED,
        source="import",
        kind=Order.Kind.CANCELLATION,
        address=False,
        shipping="0",
        placed_at=datetime(2026, 1, 6, 10, tzinfo=UTC),
    )
    parent = make_category(name="Kitchen")
    child = make_category(name="Mugs", parent=parent)
    mug = make_stocked_variant(stock=10, price="2.95", category=child)
    spoon = make_stocked_variant(stock=5, price="0.10")
    method = ShippingMethod.objects.select_related("zone").order_by("pk").first()
    draft = dataclasses.replace(
        make_draft([(mug, 3), (spoon, 1)], email=ann.email, customer_id=ann.pk),
        source="api",
        shipping_method_id=method.pk,
        shipping_method_name=method.name,
    )
    placed = order_place(draft=draft, idempotency_key="analytics-1")
    paid_at, shipped_at, delivered_at = (
        NOW - timedelta(days=3),
        NOW - timedelta(days=2),
        NOW - timedelta(days=1),
    )
    _logged(placed, "captured", paid_at)
    shipment = Shipment.objects.create(
        order=placed,
        ref=f"{placed.number}-1",
        status="delivered",
        carrier="Royal Mail",
        shipped_at=shipped_at,
    )
    _logged(placed, "shipped", shipped_at)
    _logged(placed, "delivered", delivered_at)
    mug_line = placed.lines.get(variant=mug)
    OrderLine.objects.filter(pk=mug_line.pk).update(quantity_returned=1, refunded_amount=Decimal("2.95"))
    Order.objects.filter(pk=placed.pk).update(refunded_amount=Decimal("2.95"), status=Order.Status.DELIVERED)
    rma = ReturnRequest.objects.create(
        order=placed, number="RMA-1", status="refunded", reason="chipped", refund_amount=Decimal("2.95")
    )
    ReturnLine.objects.create(rma=rma, line=mug_line, quantity=1)
    first_guest = make_order(email="Guest@Example.com", placed_at=datetime(2026, 2, 1, tzinfo=UTC))
    second_guest = make_order(
        email="guest@example.com",
        placed_at=datetime(2026, 2, 2, tzinfo=UTC),
        lines=[("Red mug", 3, "2.95"), ("Spoon", 1, "0.10")],
        shipping="0.20",
    )
    unknown_guest = make_order(email="", source="import", status=Order.Status.COMPLETED, address=False)
    return {
        "ann": ann,
        "history": history,
        "cancellation": cancellation,
        "placed": Order.objects.get(pk=placed.pk),
        "method": method,
        "mug": mug,
        "spoon": spoon,
        "shipment": shipment,
        "rma": rma,
        "first_guest": first_guest,
        "second_guest": second_guest,
        "unknown_guest": unknown_guest,
        "categories": (parent, child),
        "times": (paid_at, shipped_at, delivered_at),
    }


def test_orders_have_the_layouts_columns_and_the_shops_values(root, shop):
    tables_rebuild(now=NOW)

    orders = _rows(fact_path(root, "orders"), FACTS["orders"])
    placed, method = shop["placed"], shop["method"]
    paid_at, shipped_at, delivered_at = shop["times"]
    assert orders[placed.pk] == {
        "order_id": placed.pk,
        "number": placed.number,
        "customer_id": shop["ann"].pk,
        "channel": "app",
        "source": "api",
        "country": "GB",
        "currency": "GBP",
        "status": "delivered",
        "payment_status": "pending",
        "fulfilment_status": "unfulfilled",
        "placed_at": placed.placed_at,
        "paid_at": paid_at,
        "shipped_at": shipped_at,
        "delivered_at": delivered_at,
        "cancelled_at": None,
        "subtotal_minor": _minor(placed.subtotal_amount),
        "discount_minor": 0,
        "shipping_minor": 499,
        "tax_minor": _minor(placed.tax_amount),
        "total_minor": _minor(placed.total_amount),
        "refunded_minor": 295,
        "voucher_code": "",
        "shipping_method_id": method.pk,
        "shipping_method": method.name,
        "shipping_zone": method.zone.name,
        "carrier": "Royal Mail",
        "warehouse_id": Warehouse.objects.get(slug="main").pk,
        "units": 4,
        "is_first_order": False,  # Ann's imported history came first
        "kind": "order",
    }
    assert orders[placed.pk]["subtotal_minor"] == 3 * 295 + 10


def test_imported_orders_are_facts_with_iso_countries_and_derived_times(root, shop):
    tables_rebuild(now=NOW)

    orders = _rows(fact_path(root, "orders"), FACTS["orders"])
    history, cancellation = orders[shop["history"].pk], orders[shop["cancellation"].pk]
    assert (history["source"], history["channel"], history["country"]) == ("import", "web", "IE")
    assert history["paid_at"] == shop["history"].placed_at
    assert (history["is_first_order"], history["kind"]) == (True, "order")
    assert (cancellation["kind"], cancellation["status"]) == ("cancellation", "cancelled")
    assert cancellation["cancelled_at"] == shop["cancellation"].placed_at
    assert (cancellation["paid_at"], cancellation["is_first_order"]) == (None, False)
    assert orders[shop["unknown_guest"].pk]["is_first_order"] is False


def test_a_guests_first_order_is_found_by_email_without_keeping_the_email(root, shop):
    tables_rebuild(now=NOW)

    orders = _rows(fact_path(root, "orders"), FACTS["orders"])
    first, second = orders[shop["first_guest"].pk], orders[shop["second_guest"].pk]
    assert (first["customer_id"], first["is_first_order"]) == (None, True)
    assert second["is_first_order"] is False
    assert not any("@" in str(value) for row in orders.values() for value in row.values())


def test_amounts_are_exact_in_minor_units(root, shop):
    tables_rebuild(now=NOW)

    second = _rows(fact_path(root, "orders"), FACTS["orders"])[shop["second_guest"].pk]
    # 3 x 2.95 + 0.10 + 0.20: 9.15, which binary floating point would not add up to.
    assert (second["subtotal_minor"], second["shipping_minor"], second["total_minor"]) == (895, 20, 915)
    lines = _rows(fact_path(root, "order_lines"), FACTS["order_lines"])
    spoon = next(
        row for row in lines.values() if row["order_id"] == shop["second_guest"].pk and row["quantity"] == 1
    )
    assert (spoon["unit_price_minor"], spoon["total_minor"]) == (10, 10)


def test_lines_payments_shipments_and_returns(root, shop):
    tables_rebuild(now=NOW)

    placed, mug = shop["placed"], shop["mug"]
    lines = _rows(fact_path(root, "order_lines"), FACTS["order_lines"])
    mug_line = next(row for row in lines.values() if row["variant_id"] == mug.pk)
    assert mug_line == {
        "line_id": mug_line["line_id"],
        "order_id": placed.pk,
        "placed_at": placed.placed_at,
        "product_id": mug.product_id,
        "variant_id": mug.pk,
        "category_id": shop["categories"][1].pk,
        "sku": mug.sku,
        "product_name": mug.product.name,
        "quantity": 3,
        "unit_price_minor": 295,
        "total_minor": _minor(OrderLine.objects.get(pk=mug_line["line_id"]).total_amount),
        "refunded_minor": 295,
        "quantity_returned": 1,
    }
    payment = Payment.objects.get(ref=placed.payment_ref)
    assert _rows(fact_path(root, "payments"), FACTS["payments"])[payment.pk] == {
        "payment_id": payment.pk,
        "order_id": placed.pk,
        "gateway": payment.gateway,
        "status": "pending",
        "amount_minor": _minor(placed.total_amount),
        "captured_minor": 0,
        "refunded_minor": 0,
        "currency": "GBP",
        "created_at": payment.created_at,
        "failure_code": "",
    }
    shipment = shop["shipment"]
    assert _rows(fact_path(root, "shipments"), FACTS["shipments"])[shipment.pk] == {
        "shipment_id": shipment.pk,
        "order_id": placed.pk,
        "status": "delivered",
        "carrier": "Royal Mail",
        "created_at": shipment.created_at,
        "shipped_at": shop["times"][1],
        "delivered_at": None,
    }
    rma = shop["rma"]
    assert _rows(fact_path(root, "returns"), FACTS["returns"])[rma.pk] == {
        "return_id": rma.pk,
        "order_id": placed.pk,
        "status": "refunded",
        "created_at": rma.created_at,
        "refund_minor": 295,
        "units": 1,
    }


def test_stock_levels_are_a_snapshot_per_day_and_a_rerun_replaces_only_that_day(root, shop):
    tables_rebuild(now=NOW - timedelta(days=1))
    tables_rebuild(now=NOW)
    tables_rebuild(now=NOW)

    files = sorted(path.name for path in (Path(root) / "facts/stock_levels").iterdir())
    assert files == ["2026-03-19.parquet", "2026-03-20.parquet"]
    assert fact_glob(root, "stock_levels").endswith("facts/stock_levels/*.parquet")
    table = pq.ParquetFile(fact_path(root, "stock_levels", "2026-03-20")).read()
    assert table.schema.equals(FACTS["stock_levels"])
    mug = next(row for row in table.to_pylist() if row["variant_id"] == shop["mug"].pk)
    assert mug == {
        "day": NOW.date(),
        "variant_id": shop["mug"].pk,
        "product_id": shop["mug"].product_id,
        "warehouse_id": Warehouse.objects.get(slug="main").pk,
        "quantity": 10,
        "allocated": 3,
        "reserved": 0,
    }


def test_dimension_snapshots(root, shop, django_user_model):
    django_user_model.objects.create_user(email="staff@example.com", is_staff=True)
    tables_rebuild(now=NOW)

    mug = shop["mug"]
    parent, child = shop["categories"]
    products = _rows(dim_path(root, "products"), DIMS["products"])
    assert products[mug.product_id] == {
        "product_id": mug.product_id,
        "code": mug.product.code,
        "name": mug.product.name,
        "slug": mug.product.slug,
        "category_id": child.pk,
        "price_minor": 295,
        "currency": "GBP",
        "is_published": True,
    }
    variants = _rows(dim_path(root, "variants"), DIMS["variants"])
    assert variants[mug.pk] == {
        "variant_id": mug.pk,
        "product_id": mug.product_id,
        "sku": mug.sku,
        "name": "",
    }
    categories = _rows(dim_path(root, "categories"), DIMS["categories"])
    assert categories[child.pk] == {
        "category_id": child.pk,
        "name": "Mugs",
        "slug": child.slug,
        "parent_id": parent.pk,
        "top_category_id": parent.pk,
        "path": f"/{parent.pk}/{child.pk}/",
    }
    assert categories[parent.pk]["top_category_id"] == parent.pk
    assert categories[parent.pk]["path"] == f"/{parent.pk}/"
    customers = _rows(dim_path(root, "customers"), DIMS["customers"])
    assert customers[shop["ann"].pk] == {
        "customer_id": shop["ann"].pk,
        "joined_at": shop["ann"].date_joined,
        "country": "GB",
        "age_band": "",
    }
    assert list(customers) == [shop["ann"].pk]  # staff who never ordered are no customers
    warehouses = _rows(dim_path(root, "warehouses"), DIMS["warehouses"])
    main = Warehouse.objects.get(slug="main")
    assert warehouses[main.pk] == {"warehouse_id": main.pk, "name": main.name, "country": "GB"}
    methods = _rows(dim_path(root, "shipping_methods"), DIMS["shipping_methods"])
    method = shop["method"]
    assert methods[method.pk] == {
        "shipping_method_id": method.pk,
        "name": method.name,
        "code": method.code,
        "zone": method.zone.name,
        "max_days": method.max_days,
    }
    assert len(methods) == ShippingMethod.objects.count()


def test_rebuilding_unchanged_tables_gives_the_same_bytes(root, shop):
    tables_rebuild(now=NOW)
    paths = [fact_path(root, name) for name in ("orders", "order_lines", "payments", "shipments", "returns")]
    paths += [dim_path(root, name) for name in DIMS]
    before = {path: Path(path).read_bytes() for path in paths}

    tables_rebuild(now=NOW)

    assert {path: Path(path).read_bytes() for path in paths} == before


def test_the_tables_work_on_a_memory_url_root(settings, shop):
    import uuid

    from shopstack.analytics.warehouse.files import warehouse

    settings.ANALYTICS_WAREHOUSE_ROOT = f"memory://tables-{uuid.uuid4().hex}"
    where = warehouse()
    try:
        report = tables_rebuild(now=NOW)

        orders = where.read(fact_path(where.root, "orders"), FACTS["orders"])
        assert orders.num_rows == Order.objects.count() == report.rows("facts/orders")
        assert where.exists(fact_path(where.root, "stock_levels", "2026-03-20"))
    finally:
        where.fs.rm(where.root, recursive=True)
