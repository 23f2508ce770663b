"""Fulfilment times, late shipments and shipping charged on a hand-computed fixture, on
every engine."""

from __future__ import annotations

from datetime import date, datetime

from shopstack.analytics.metrics.fulfilment import FulfilmentGroup, LeadTime, fulfilment
from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.tests.warehouse_fixtures import at, write_rows

# Monday May 4th to Friday May 8th 2026.
WEEK = Period(date(2026, 5, 4), date(2026, 5, 8))
DAY = 86_400


def _at(day_and_time: str | None) -> datetime | None:
    """'04 10:00': May 4th 2026 at 10:00 UTC."""
    return at(f"2026-05-{day_and_time}") if day_and_time else None


def _order(
    number, method, carrier, warehouse, shipping, placed, paid=None, shipped=None, delivered=None, **more
):
    method_id, name, zone = method
    return {
        "order_id": number,
        "status": more.get("status", "paid"),
        "shipping_method_id": method_id,
        "shipping_method": name,
        "shipping_zone": zone,
        "carrier": carrier,
        "warehouse_id": warehouse,
        "shipping_minor": shipping,
        "placed_at": _at(placed),
        "paid_at": _at(paid),
        "shipped_at": _at(shipped),
        "delivered_at": _at(delivered),
    }


STANDARD = (1, "Standard", "UK")  # up to 3 working days
EXPRESS = (2, "Express", "UK")  # up to 1
INTERNATIONAL = (3, "International", "World")  # no promise known


def _fixture(root) -> None:
    write_rows(
        root,
        "orders",
        [
            # Times are days of May 2026, UTC.
            # Paid +30 s, shipped Tuesday (1 working day: on time), delivered Thursday (3: on time).
            _order(1, STANDARD, "Royal Mail", 1, 395, "04 10:00", "04 10:00:30", "05 10:00", "07 10:00"),
            # paid 0.2 s later but across a second: 1 s. Shipped Friday: 4 working days, late.
            _order(2, STANDARD, "Royal Mail", 1, 395, "04 12:00:00.900000", "04 12:00:01.100000", "08 12:00"),
            # paid +120 s, shipped the next day and delivered the same day: on time.
            _order(3, EXPRESS, "DPD", 2, 995, "05 09:00", "05 09:02", "06 09:00", "06 18:00"),
            # Friday: paid +600 s, shipped Monday (one working day later: on time), delivered
            # Tuesday (two: late).
            _order(4, EXPRESS, "DPD", 1, 995, "08 16:00", "08 16:10", "11 10:00", "12 10:00"),
            # Waiting for payment since Wednesday: 2 working days of 3 by Friday, not overdue.
            _order(5, STANDARD, "", None, 0, "06 08:00"),
            # Paid +300 s on Monday, never shipped: Express, overdue by Friday.
            _order(6, EXPRESS, "", 1, 995, "04 07:00", "04 07:05"),
            # paid at once, shipped in 2 days, no promise to break.
            _order(7, INTERNATIONAL, "DHL", 1, 1_500, "05 11:00", "05 11:00", "07 11:00"),
            # Cancelled: left out.
            _order(8, STANDARD, "DPD", 1, 395, "05 10:00", "05 10:01", "09 10:00", status="cancelled"),
            # Sunday 23:00 UTC, Monday in London; paid +60 s, shipped Tuesday 23:30 London time.
            _order(9, EXPRESS, "DPD", 1, 995, "03 23:00", "03 23:01", "05 22:30"),
        ],
    )
    write_rows(
        root,
        "shipping_methods",
        [
            {"shipping_method_id": 1, "name": "Standard", "zone": "UK", "max_days": 3},
            {"shipping_method_id": 2, "name": "Express", "zone": "UK", "max_days": 1},
            {"shipping_method_id": 3, "name": "International", "zone": "World", "max_days": None},
        ],
    )
    write_rows(root, "warehouses", [{"warehouse_id": 1, "name": "Leeds"}, {"warehouse_id": 2, "name": ""}])
    write_rows(
        root,
        "order_lines",
        [
            {"line_id": order, "order_id": order, "category_id": 20 if order in (3, 4) else 3}
            for order in range(1, 10)
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


def test_lead_times_lateness_and_shipping_charged(engine_for, tmp_path):
    _fixture(tmp_path)

    result = fulfilment(engine_for(tmp_path), WEEK)

    # Orders 1-7. Nearest rank: of n sorted durations, p50 is the ceil(n/2)-th, p95 the
    # ceil(0.95 n)-th. Paid (6): 0, 1, 30, 120, 300, 600 -> 30 and 600. Shipped (5): 1, 1,
    # 2, 2.67, 4 days -> 2 days and 4 days. Delivered (3): 9 h, 3 days, 3.75 days -> 3 days
    # and 3.75 days. Promised: all but 7; late: 2 (shipped), 6 (not shipped); 4 delivered late.
    assert result.overall == FulfilmentGroup(
        orders=7,
        shipping_charged_minor=5_275,
        paid=LeadTime(6, 30, 600),
        shipped=LeadTime(5, 2 * DAY, 4 * DAY),
        delivered=LeadTime(3, 3 * DAY, 90 * 3_600),
        promised=6,
        late_shipments=1,
        overdue_unshipped=1,
        late_deliveries=1,
    )
    assert result.overall.late_shipment_rate == 2 / 6
    assert result.by_carrier["Royal Mail"] == FulfilmentGroup(
        orders=2,
        shipping_charged_minor=790,
        paid=LeadTime(2, 1, 30),
        shipped=LeadTime(2, DAY, 4 * DAY),
        delivered=LeadTime(1, 3 * DAY, 3 * DAY),
        promised=2,
        late_shipments=1,
        overdue_unshipped=0,
        late_deliveries=0,
    )
    express = result.by_shipping_method["Express"]
    assert (express.orders, express.late_shipments) == (3, 0)
    assert (express.overdue_unshipped, express.late_deliveries) == (1, 1)
    assert sorted(result.by_carrier) == ["DHL", "DPD", "Royal Mail", "unknown"]
    assert result.by_carrier["unknown"].shipped == LeadTime(0, None, None)
    assert {zone: group.orders for zone, group in result.by_zone.items()} == {"UK": 6, "World": 1}
    # A warehouse without a name is shown by its id.
    warehouses = {name: group.orders for name, group in result.by_warehouse.items()}
    assert warehouses == {"Leeds": 5, "2": 1, "unknown": 1}


def test_working_days_are_the_shops_own(engine_for, tmp_path):
    _fixture(tmp_path)

    # In London (UTC+1) order 9 was placed on Monday and shipped on Tuesday: one working
    # day, on time (in UTC it would be Sunday to Tuesday: two, late).
    result = fulfilment(engine_for(tmp_path), Period(date(2026, 5, 4), date(2026, 5, 8), tz="Europe/London"))

    express = result.by_shipping_method["Express"]
    assert (express.orders, express.shipped.orders, express.late_shipments) == (4, 3, 0)


def test_today_stops_orders_going_overdue_early(engine_for, tmp_path):
    _fixture(tmp_path)

    # On Monday the 4th, order 6 still has its working day to ship.
    result = fulfilment(engine_for(tmp_path), WEEK, today=date(2026, 5, 4))

    assert result.overall.overdue_unshipped == 0


def test_a_category_filter_and_the_comparison_period(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    in_category = fulfilment(engine, Period(WEEK.start, WEEK.end, filters=Filters(category_id=2)))
    before = fulfilment(engine, WEEK.previous())

    # Orders 3 and 4 have lines in category 20, below 2. The week before holds order 9.
    assert (in_category.overall.orders, in_category.overall.paid) == (2, LeadTime(2, 120, 600))
    assert (before.overall.orders, before.overall.paid) == (1, LeadTime(1, 60, 60))
