"""The overview on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.overview import overview
from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events, write_rows

MAY_1_2 = Period(date(2026, 5, 1), date(2026, 5, 2))


def _event(when: str, visitor: str, session: str, kind: str = "page_view", **fields) -> AnalyticsEvent:
    return AnalyticsEvent(kind=kind, occurred_at=at(when), visitor_id=visitor, session_id=session, **fields)


def _order(order_id: int, customer: int | None, placed: str, total: int, **fields) -> dict:
    return {
        "order_id": order_id,
        "customer_id": customer,
        "placed_at": at(placed),
        "total_minor": total,
        **fields,
    }


def _fixture(root) -> None:
    write_events(
        root,
        [
            # a (on a phone): a1 of two pages places order 1; a2 is one page.
            _event("2026-05-01 09:00", "a", "a1", device="phone"),
            _event("2026-05-01 09:05", "a", "a1", device="phone"),
            _event("2026-05-01 09:06", "a", "a1", "product_view", product_id=1, device="phone"),
            _event("2026-05-01 09:10", "a", "a1", "order_placed", order_id=1, device="phone"),
            _event("2026-05-01 18:00", "a", "a2", device="phone"),
            # b places order 2 (cancelled later).
            _event("2026-05-02 12:00", "b", "b1", device="desktop"),
            _event("2026-05-02 12:10", "b", "b1", "order_placed", order_id=2, device="desktop"),
            # c late on May 2nd UTC: already May 3rd in London.
            _event("2026-05-02 23:30", "c", "c1", device="desktop"),
            # r was here on April 20th: a returning visitor.
            _event("2026-04-20 10:00", "r", "r0", device="desktop"),
            _event("2026-05-01 10:00", "r", "r1", device="desktop"),
            # p in the previous period only.
            _event("2026-04-29 10:00", "p", "p1", device="desktop"),
            _event("2026-05-01 10:00", "bot", "x", is_bot=True, device="bot"),
        ],
    )
    paid = {"paid_at": at("2026-05-02 12:00"), "status": "paid"}
    write_rows(
        root,
        "orders",
        [
            _order(1, 10, "2026-05-01 09:10", 5000, refunded_minor=1000, channel="web", **paid),
            _order(
                2,
                11,
                "2026-05-02 12:10",
                3000,
                paid_at=at("2026-05-02 12:11"),
                cancelled_at=at("2026-05-02 15:00"),
                status="cancelled",
            ),
            _order(3, 10, "2026-05-02 08:00", 2000, refunded_minor=0, channel="app", **paid),
            _order(4, 12, "2026-05-02 20:00", 700, status="placed"),  # never paid
            _order(5, 11, "2026-04-10 10:00", 1000, **paid),  # 11 ordered before the period
            _order(6, 13, "2026-05-03 00:30", 4000, **paid),  # after the period
            _order(7, None, "2026-05-01 23:30", 1500, **paid),  # a guest; May 2nd in London
            _order(8, 14, "2026-04-30 10:00", 900, **paid),  # the previous period
        ],
    )


def _catalogue(root) -> None:
    write_rows(
        root,
        "categories",
        [
            {"category_id": 5, "path": "/5/"},
            {"category_id": 9, "path": "/5/9/"},
            {"category_id": 6, "path": "/6/"},
        ],
    )
    write_rows(root, "products", [{"product_id": 1, "category_id": 9}, {"product_id": 2, "category_id": 5}])
    write_rows(
        root,
        "order_lines",
        [
            {"line_id": 1, "order_id": 1, "product_id": 1, "category_id": 9},
            {"line_id": 2, "order_id": 3, "product_id": 2, "category_id": 5},
            {"line_id": 3, "order_id": 2, "product_id": 3, "category_id": 6},
        ],
    )


def test_overview_counts_conversion_revenue_and_returning(engine_for, tmp_path):
    _fixture(tmp_path)

    result = overview(engine_for(tmp_path), MAY_1_2)

    # Sessions with a page: a1, a2, b1, c1, r1; a1 and b1 placed orders.
    assert (result.traffic.visitors, result.traffic.sessions, result.converted_sessions) == (4, 5, 2)
    assert result.conversion_rate == 2 / 5
    assert result.returning_visitors == 1  # r
    # Placed: 1, 2, 3, 4, 7. Revenue: 1, 3, 7 (2 cancelled, 4 unpaid) = 5000 + 2000 + 1500.
    assert (result.orders, result.revenue_orders) == (5, 3)
    assert (result.gross_minor, result.refunded_minor, result.net_minor) == (8500, 1000, 7500)
    assert result.average_order_minor == 8500 / 3
    # Customers 10, 11, 12 (the guest is none); 11 ordered in April.
    assert (result.customers, result.returning_customers, result.new_customers) == (3, 1, 2)
    assert [(d.day, d.sessions, d.orders, d.gross_minor, d.refunded_minor) for d in result.days] == [
        (date(2026, 5, 1), 3, 2, 6500, 1000),  # a1, a2, r1; orders 1 and 7
        (date(2026, 5, 2), 2, 3, 2000, 0),  # b1, c1; orders 2, 3, 4 (only 3 is revenue)
    ]


def test_days_are_the_shops_own_and_every_day_is_present(engine_for, tmp_path):
    _fixture(tmp_path)

    # London is UTC+1 in May: c1 (23:30 UTC) falls on May 3rd and order 7 (23:30 UTC on
    # May 1st) on May 2nd. The period runs to May 4th, a day with nothing: zeros.
    result = overview(engine_for(tmp_path), Period(date(2026, 5, 1), date(2026, 5, 4), tz="Europe/London"))

    assert [(d.day, d.sessions, d.orders, d.gross_minor) for d in result.days] == [
        (date(2026, 5, 1), 3, 1, 5000),  # a1, a2, r1; order 1
        (date(2026, 5, 2), 1, 4, 3500),  # b1; orders 7, 2, 3, 4 (7 and 3 are revenue)
        (date(2026, 5, 3), 1, 1, 4000),  # c1; order 6
        (date(2026, 5, 4), 0, 0, 0),
    ]
    assert sum(d.sessions for d in result.days) == result.traffic.sessions


def test_a_device_filter_narrows_visits_and_the_orders_they_placed(engine_for, tmp_path):
    _fixture(tmp_path)

    result = overview(
        engine_for(tmp_path), Period(date(2026, 5, 1), date(2026, 5, 2), filters=Filters(device="phone"))
    )

    # a's sessions; of the orders only 1 came from a phone (3 and 7 have no visit at all).
    assert (result.traffic.sessions, result.converted_sessions, result.orders) == (2, 1, 1)
    assert (result.gross_minor, result.refunded_minor, result.customers) == (5000, 1000, 1)


def test_the_previous_period_is_the_same_length_just_before(engine_for, tmp_path):
    _fixture(tmp_path)

    result = overview(engine_for(tmp_path), MAY_1_2.previous())

    # April 29th-30th: p's one page, order 8 of a first-time customer.
    assert (result.traffic.sessions, result.orders, result.gross_minor) == (1, 1, 900)
    assert (result.customers, result.returning_customers, result.returning_visitors) == (1, 0, 0)
    assert [d.day for d in result.days] == [date(2026, 4, 29), date(2026, 4, 30)]


def test_a_category_keeps_the_visits_that_looked_at_it_and_the_orders_with_a_line_in_it(engine_for, tmp_path):
    _fixture(tmp_path)
    _catalogue(tmp_path)

    result = overview(
        engine_for(tmp_path), Period(date(2026, 5, 1), date(2026, 5, 2), filters=Filters(category_id=5))
    )

    # a1 viewed product 1 (category 9, below 5); orders 1 (category 9) and 3 (category 5).
    assert (result.traffic.sessions, result.converted_sessions) == (1, 1)
    assert (result.orders, result.gross_minor, result.refunded_minor, result.customers) == (2, 7000, 1000, 1)
