"""The demo import on a small hand-made Parquet file: every rule of docs/demo-data.md once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from shopstack.catalog.models import Category, Product, ProductMedia, ProductVariant
from shopstack.integrations.services import retail_rules as rules
from shopstack.integrations.services.demo_import import demo_import
from shopstack.integrations.services.retail_parse import (
    SKIP_ADJUSTMENT,
    SKIP_NEGATIVE_SALE,
    SKIP_PRICE,
    SKIP_QUANTITY_ZERO,
)
from shopstack.inventory.models import Stock
from shopstack.orders.models import Order, OrderCharge, OrderLine

T0 = dt.datetime(2011, 3, 1, 9, 30)

# InvoiceNo, StockCode, Description, Quantity, minutes after T0, UnitPrice, CustomerID, Country
ROWS = [
    ("536365", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 6, 0, 2.55, 17850.0, "United Kingdom"),
    ("536365", "71053", "WHITE METAL LANTERN", 6, 0, 3.39, 17850.0, "United Kingdom"),
    ("536365", "POST", "POSTAGE", 2, 1, 18.0, 17850.0, "United Kingdom"),
    ("536366", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 10, 60, 2.55, 13047.0, "France"),
    ("536366", "85123A", "CREAM HANGING HEART T-LIGHT HOLDER", 2, 60, 2.95, 13047.0, "France"),
    ("536367", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 4, 120, 2.55, None, "EIRE"),
    ("536367", "22222", "?", 1, 120, 1.25, None, "EIRE"),
    ("536367", "22222", "BLUE GLASS VASE", 3, 120, 1.25, None, "EIRE"),
    ("536367", "22222", "damaged", 3, 120, 1.25, None, "EIRE"),
    ("C536368", "71053", "WHITE METAL LANTERN", -4, 180, 3.39, 17850.0, "United Kingdom"),
    ("C536368", "POST", "POSTAGE", -1, 180, 18.0, 17850.0, "United Kingdom"),
    ("C536369", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", -1, 200, 2.55, 13047.0, "France"),
    ("A563185", "B", "Adjust bad debt", 1, 240, 11062.06, None, "United Kingdom"),
    ("536370", "33333", "Unknown", -12, 300, 0.0, None, "United Kingdom"),
    ("536371", "71053", "WHITE METAL LANTERN", 0, 360, 3.39, 17850.0, "United Kingdom"),
    ("536372", "71053", "WHITE METAL LANTERN", 100, 400, 3.39, 13047.0, "France"),
    ("536372", "99999", "MYSTERY TINY THING", 1, 400, 0.001, 13047.0, "France"),
    ("536372", "84000", "PAPER PARTY TRINKET", 5, 400, 0.85, 13047.0, "France"),
    ("536372", "M", "Manual", 1, 400, 1.5, 13047.0, "France"),
]


def write_parquet(path, rows):
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {
            "InvoiceNo": pa.array(columns[0], pa.string()),
            "StockCode": pa.array(columns[1], pa.string()),
            "Description": pa.array(columns[2], pa.string()),
            "Quantity": pa.array(columns[3], pa.int64()),
            "InvoiceDate": pa.array([T0 + dt.timedelta(minutes=m) for m in columns[4]], pa.timestamp("us")),
            "UnitPrice": pa.array(columns[5], pa.float64()),
            "CustomerID": pa.array(columns[6], pa.float64()),
            "Country": pa.array(columns[7], pa.string()),
        }
    )
    pq.write_table(table, path)
    return path


@pytest.fixture
def parquet(tmp_path):
    return write_parquet(tmp_path / "transactions.parquet", ROWS)


@pytest.fixture
def report(db, parquet):
    return demo_import(path=parquet)


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (Product, ProductVariant, Category, Stock, ProductMedia, Order, OrderLine, OrderCharge)
    } | {"users": get_user_model().objects.count()}


def test_cancellation_becomes_cancellation_order_with_positive_quantities(report):
    order = Order.objects.get(number="C536368")
    assert order.kind == Order.Kind.CANCELLATION
    assert order.status == Order.Status.CANCELLED
    line = order.lines.get()
    assert (line.sku, line.quantity, line.total_amount) == ("71053", 4, Decimal("13.56"))
    assert order.charges.get().amount == Decimal("18.00")
    assert order.total_amount == Decimal("31.56")


def test_non_product_codes_become_charges_not_products(report):
    assert not Product.objects.filter(code__in=["POST", "M", "B"]).exists()
    charge = OrderCharge.objects.get(order__number="536365")
    assert (charge.code, charge.description, charge.amount) == ("POST", "POSTAGE", Decimal("36.00"))
    order = Order.objects.get(number="536365")
    assert order.subtotal_amount == Decimal("35.64")
    assert order.charges_amount == Decimal("36.00")
    assert order.total_amount == Decimal("71.64")
    assert order.source == "import"
    assert order.placed_at == dt.datetime(2011, 3, 1, 9, 30, tzinfo=dt.UTC)  # GMT in March


def test_most_frequent_spelling_wins_and_others_become_aliases(report):
    product = Product.objects.get(code="85123A")
    assert product.name == "White Hanging Heart T-Light Holder"
    assert product.search_aliases == ["CREAM HANGING HEART T-LIGHT HOLDER"]
    assert product.variants.get().sku == "85123A"
    # Notes typed into the name field ('?', 'damaged') are neither title nor alias.
    vase = Product.objects.get(code="22222")
    assert (vase.name, vase.search_aliases) == ("Blue Glass Vase", [])


def test_price_is_the_most_common_unit_price(report):
    product = Product.objects.get(code="85123A")
    assert product.price_amount == Decimal("2.55")
    assert product.variants.get().price_amount == Decimal("2.55")


def test_guest_orders_have_no_customer(report):
    order = Order.objects.get(number="536367")
    assert order.customer is None
    assert order.email == ""
    assert order.country == "EIRE"
    assert report.guest_orders_created == 1


def test_customers_are_invented_deterministically_with_real_country(report):
    user = get_user_model().objects.get(external_id="13047")
    first, last, email = rules.customer_identity(13047)
    assert (user.first_name, user.last_name, user.email, user.country) == (first, last, email, "France")
    assert not user.has_usable_password()
    assert user.is_active
    assert Order.objects.get(number="536366").customer == user


def test_skipped_rows_are_reported_with_reasons(report):
    assert report.skipped_rows == {
        SKIP_ADJUSTMENT: 1,
        SKIP_PRICE: 2,  # 0.0 and 0.001 (rounds to 0 pence)
        SKIP_QUANTITY_ZERO: 1,
    }
    assert not Order.objects.filter(number__startswith="A").exists()
    assert not Product.objects.filter(code__in=["33333", "99999"]).exists()
    assert report.codes_without_sales == ["33333", "99999"]
    assert "Skipped rows" in report.as_text()


def test_negative_quantity_on_a_sales_invoice_is_skipped(db, tmp_path):
    rows = [*ROWS, ("536399", "71053", "WHITE METAL LANTERN", -3, 500, 3.39, 17850.0, "United Kingdom")]
    report = demo_import(path=write_parquet(tmp_path / "t.parquet", rows))
    assert report.skipped_rows[SKIP_NEGATIVE_SALE] == 1
    assert not Order.objects.filter(number="536399").exists()


def test_every_product_has_a_category(report):
    for product in Product.objects.prefetch_related("categories"):
        slugs = {c.slug for c in product.categories.all()}
        assert slugs
        assert product.category.slug in slugs
    lantern = Product.objects.get(code="71053")
    assert lantern.category.slug == "candles-lights"
    assert lantern.category.parent.slug == "home-living"
    assert {v.slug for v in lantern.attribute_values.all()} == {"white", "metal"}
    trinket = Product.objects.get(code="84000")
    assert {c.slug for c in trinket.categories.all()} >= {"stationery", "party-gifts"}


def test_units_sold_net_of_cancellations(report):
    assert Product.objects.get(code="71053").units_sold == 6 + 100 - 4
    assert Product.objects.get(code="85123A").units_sold == 6 + 10 + 2 + 4 - 1


def test_stock_images_and_listing_fields_are_consistent(report):
    for product in Product.objects.all():
        stock = Stock.objects.get(variant__product=product)
        assert stock.quantity == rules.stock_quantity(product.code)
        assert product.in_stock == (stock.quantity > 0)
        assert product.is_published
        assert product.published_at is not None
        media = product.media.get()
        assert media.widths == [240, 480, 960]
        assert media.image.name == f"products/{product.code}/{product.code}-w960.png"


def test_second_run_changes_nothing(report, parquet):
    assert report.changed
    before = counts()
    again = demo_import(path=parquet)
    assert not again.changed
    assert counts() == before
    assert "Nothing changed" in again.as_text()


def test_reset_rebuilds_the_same_data(report, parquet):
    before = counts()
    again = demo_import(path=parquet, reset=True)
    assert again.deleted["orders"] == before["Order"]
    assert again.orders_created == before["Order"]
    assert counts() == before


def test_command_runs_and_prints_report(db, parquet, capsys):
    call_command("import_demo", path=parquet, no_images=True)
    out = capsys.readouterr().out
    assert "Orders:" in out
    assert Order.objects.filter(kind=Order.Kind.CANCELLATION).count() == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WHITE METAL LANTERN", True),
        ("SOMBRERO", True),
        ("Dr. Jam's Arouzer Stress Ball", True),
        ("FLOWERS HANDBAG blue and orange", True),
        ("Unknown", False),
        ("?", False),
        ("damaged", False),
        ("DAMAGED", False),
        ("FBA", False),
        ("Water damaged", False),
        ("sold as set on dotcom", False),
        ("Dotcom sales", False),
    ],
)
def test_note_descriptions_are_not_names(text, expected):
    assert rules.is_product_name(text) is expected


@pytest.mark.parametrize(
    ("title", "shown"),
    [
        ("WHITE HANGING HEART T-LIGHT HOLDER", "White Hanging Heart T-Light Holder"),
        ("SET OF 3 CAKE TINS PANTRY DESIGN", "Set of 3 Cake Tins Pantry Design"),
        ("DOLLY GIRL LUNCH BOX", "Dolly Girl Lunch Box"),
        ("RED LED CANDLE", "Red LED Candle"),
        ("JUMBO BAG 50'S CHRISTMAS", "Jumbo Bag 50's Christmas"),
        ("Dr. Jam's Arouzer Stress Ball", "Dr. Jam's Arouzer Stress Ball"),
    ],
)
def test_display_name_turns_shouted_titles_into_title_case(title, shown):
    assert rules.display_name(title) == shown
