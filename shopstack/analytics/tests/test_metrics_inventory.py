"""Stock status, days of cover, days out of stock and lost sales on a hand-computed
fixture, on every engine."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shopstack.analytics.metrics.inventory import StockStatus, inventory
from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.tests.warehouse_fixtures import at, write_rows

# Monday May 4th to Friday May 8th 2026; the compaction ran on the 3rd to 7th and the 9th.
WEEK = Period(date(2026, 5, 4), date(2026, 5, 8))
PERIOD_DAYS = [date(2026, 5, 4) + timedelta(days=offset) for offset in range(4)]


def _level(day, variant, product, warehouse, quantity, allocated=0, reserved=0) -> dict:
    return {
        "day": day,
        "variant_id": variant,
        "product_id": product,
        "warehouse_id": warehouse,
        "quantity": quantity,
        "allocated": allocated,
        "reserved": reserved,
    }


def _fixture(root) -> None:
    levels = []
    for day in PERIOD_DAYS:
        first = day == PERIOD_DAYS[0]
        levels += [
            # Product 1: 7 + 3 of variant 11 and 3 of variant 12 available, every day.
            _level(day, 11, 1, 1, 10, allocated=2, reserved=1),
            _level(day, 11, 1, 2, 3),
            _level(day, 12, 1, 1, 4, allocated=1),
            # Product 2: 4 on the 4th, then all allocated: out of stock 3 days.
            _level(day, 21, 2, 1, 4 if first else 2, allocated=0 if first else 2),
            # Product 3: oversold on the 4th (-1: out), 5 after that (reserved unknown).
            _level(
                day, 31, 3, 1, 1 if first else 5, allocated=2 if first else 0, reserved=0 if first else None
            ),
            # Product 4: plenty, never sold.
            _level(day, 41, 4, 1, 100),
        ]
    levels += [
        _level(date(2026, 5, 3), 11, 1, 1, 1),  # the day before the period
        _level(date(2026, 5, 9), 21, 2, 1, 50),  # the day after it
    ]
    write_rows(root, "stock_levels", levels)

    sales = [
        # (product, units, placed at UTC, status)
        (1, 2, "2026-05-04 10:00", "paid"),
        (1, 1, "2026-05-06 10:00", "paid"),
        (1, 4, "2026-05-08 10:00", "paid"),  # no snapshot on the 8th: neither in nor out of stock
        (1, 5, "2026-04-20 10:00", "paid"),  # within 28 days of May 8th
        (2, 4, "2026-05-04 20:00", "paid"),  # the 4th in UTC, the 5th in Tokyo
        (2, 1, "2026-05-05 10:00", "paid"),  # sold while out of stock (a back order)
        (3, 3, "2026-05-05 10:00", "paid"),
        (3, 3, "2026-05-06 10:00", "paid"),
        (3, 10, "2026-05-07 10:00", "cancelled"),
        (3, 2, "2026-04-12 10:00", "paid"),
        (3, 100, "2026-04-10 10:00", "paid"),  # 29 days before May 8th: too early
    ]
    write_rows(
        root,
        "orders",
        [
            {
                "order_id": number,
                "placed_at": at(when),
                "paid_at": None if status == "cancelled" else at(when),
                "status": status,
            }
            for number, (_product, _units, when, status) in enumerate(sales, start=1)
        ],
    )
    write_rows(
        root,
        "order_lines",
        [
            {
                "line_id": number,
                "order_id": number,
                "product_id": product,
                "quantity": units,
                "placed_at": at(when),
            }
            for number, (product, units, when, _status) in enumerate(sales, start=1)
        ],
    )
    write_rows(
        root,
        "products",
        [
            {"product_id": 1, "name": "Mug", "price_minor": 1_000, "category_id": 3},
            {"product_id": 2, "name": "Scarf", "price_minor": 500, "category_id": 20},
            {"product_id": 3, "name": "Lamp", "price_minor": 2_000, "category_id": 3},
            {"product_id": 4, "name": "Vase", "price_minor": 3_000, "category_id": 3},
        ],
    )
    write_rows(
        root,
        "categories",
        [
            {"category_id": 2, "path": "/2/"},
            {"category_id": 20, "parent_id": 2, "path": "/2/20/"},
            {"category_id": 3, "path": "/3/"},
        ],
    )


def test_stock_status_cover_and_lost_sales(engine_for, tmp_path):
    _fixture(tmp_path)

    result = inventory(engine_for(tmp_path), WEEK)

    # The last snapshot in the period is the 7th. Variants: 11 has 10 (in stock), 12 has 3
    # and 31 has 5 (low: 5 or fewer), 21 has 0 (out), 41 has 100.
    assert result.status == StockStatus(date(2026, 5, 7), in_stock=2, low=2, out_of_stock=1)
    mug, scarf, lamp, vase = result.products
    assert (mug.name, mug.available, mug.units_sold_recently) == ("Mug", 13, 12)
    # Cover: 13 units at 12 per 28 days; the scarf has none left; the vase never sold.
    assert mug.cover_days == pytest.approx(13 * 28 / 12)
    assert scarf.cover_days == 0
    assert lamp.cover_days == pytest.approx(5 * 28 / 8)
    assert vase.cover_days is None
    # Scarf: out 3 of 4 snapshot days; 4 sold on its one day in stock (the back order on an
    # out-of-stock day does not count): 3 x 4 / 1 = 12 units lost, x 500.
    assert (scarf.snapshot_days, scarf.out_of_stock_days, scarf.units_sold_in_stock) == (4, 3, 4)
    assert (scarf.lost_units, scarf.lost_sales_minor) == (12.0, 6_000.0)
    # Lamp: out on the 4th; 6 sold in 3 days in stock: 2 lost, x 2,000.
    assert (lamp.out_of_stock_days, lamp.units_sold_in_stock, lamp.lost_sales_minor) == (1, 6, 4_000.0)
    # The mug was never out: nothing lost (its sale on the 8th had no snapshot to judge by).
    assert (mug.out_of_stock_days, mug.units_sold_in_stock, mug.lost_units) == (0, 3, 0.0)


def test_the_low_stock_threshold_is_a_setting(engine_for, tmp_path, settings):
    _fixture(tmp_path)
    settings.ANALYTICS_LOW_STOCK_UNITS = 2

    result = inventory(engine_for(tmp_path), WEEK)

    assert result.status == StockStatus(date(2026, 5, 7), in_stock=4, low=0, out_of_stock=1)


def test_days_of_sale_are_the_shops_own(engine_for, tmp_path):
    _fixture(tmp_path)

    # In Tokyo (UTC+9) the scarf's 4 units were sold on the 5th, when it was out of stock.
    result = inventory(engine_for(tmp_path), Period(WEEK.start, WEEK.end, tz="Asia/Tokyo"))

    scarf = result.products[1]
    assert (scarf.units_sold_recently, scarf.units_sold_in_stock, scarf.lost_units) == (5, 0, 0.0)


def test_a_category_filter_and_the_comparison_period(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    in_category = inventory(engine, Period(WEEK.start, WEEK.end, filters=Filters(category_id=2)))
    before = inventory(engine, WEEK.previous())

    # Category 2 holds the scarf (in 20, below it). The week before had one snapshot, on
    # the 3rd: the mug with 1 available (low), and 5 sold in the 28 days to May 3rd.
    assert ([item.product_id for item in in_category.products], in_category.status.out_of_stock) == ([2], 1)
    assert before.status == StockStatus(date(2026, 5, 3), in_stock=0, low=1, out_of_stock=0)
    products = [(item.product_id, item.available, item.units_sold_recently) for item in before.products]
    assert products == [(1, 1, 5)]
    assert before.products[0].cover_days == pytest.approx(28 / 5)
