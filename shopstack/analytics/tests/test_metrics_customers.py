"""Sales by country, new and returning customers, and age bands on a hand-computed
fixture, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.customers import (
    AgeBand,
    CountrySales,
    CustomerGroup,
    age_bands,
    new_and_returning,
    sales_by_country,
)
from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events, write_rows

MAY_1_2 = Period(date(2026, 5, 1), date(2026, 5, 2))


def _event(when: str, session: str, **fields) -> AnalyticsEvent:
    fields.setdefault("kind", "page_view")
    return AnalyticsEvent(occurred_at=at(when), visitor_id=f"v-{session}", session_id=session, **fields)


def _order(order_id: int, customer: int | None, country: str, when: str, total: int, **fields) -> dict:
    status = fields.pop("status", "paid")
    return {
        "order_id": order_id,
        "customer_id": customer,
        "country": country,
        "placed_at": at(when),
        # Paid as placed, unless cancelled: only paid orders are revenue (metrics/revenue.py).
        "paid_at": None if status == "cancelled" else at(when),
        "total_minor": total,
        "status": status,
        "channel": fields.pop("channel", "web"),
        **fields,
    }


def _fixture(root) -> None:
    write_events(
        root,
        [
            # s1: GB, a phone; customer 1 signs in at checkout and places order 101.
            _event("2026-05-01 10:00", "s1", country="GB", device="phone"),
            _event(
                "2026-05-01 10:10",
                "s1",
                kind="order_placed",
                order_id=101,
                customer_id=1,
                country="GB",
                device="phone",
            ),
            # s2: its first page has no country yet, its second does: FR.
            _event("2026-05-01 12:00", "s2", country=""),
            _event("2026-05-01 12:05", "s2", country="FR"),
            # s3: GB in the app, customer 2 signed in, no order.
            _event("2026-05-02 09:00", "s3", country="GB", customer_id=2, channel="app"),
            # s5: country unknown.
            _event("2026-05-02 10:00", "s5"),
            # A bot in GB: no session of anyone's.
            _event("2026-05-01 11:00", "bot", country="GB", is_bot=True, device="bot"),
            # May 3rd 00:30 UTC: after the period.
            _event("2026-05-03 00:30", "s6", country="DE"),
        ],
    )
    write_rows(
        root,
        "orders",
        [
            _order(90, 1, "GB", "2026-04-10 09:00", 2_500),
            _order(91, 5, "US", "2026-04-12 09:00", 7_000, status="cancelled"),
            _order(101, 1, "GB", "2026-05-01 10:10", 5_000),
            _order(102, 3, "GB", "2026-05-01 15:00", 3_000),
            _order(103, None, "FR", "2026-05-02 11:00", 2_000),
            _order(104, 3, "GB", "2026-05-02 16:00", 1_000, channel="app"),
            _order(105, 4, "DE", "2026-05-02 18:00", 9_999, status="cancelled"),
            _order(106, 5, "US", "2026-05-02 23:30", 4_000),
            _order(107, 2, "GB", "2026-05-03 01:00", 1_500),
        ],
    )
    write_rows(
        root,
        "customers",
        [
            {"customer_id": 1, "country": "GB", "age_band": "35-44"},
            {"customer_id": 2, "country": "GB", "age_band": "25-34"},
            {"customer_id": 3, "country": "GB", "age_band": "25-34"},
            {"customer_id": 4, "country": "DE", "age_band": ""},
            {"customer_id": 5, "country": "US", "age_band": None},  # no consent: no band
        ],
    )


def test_sales_by_country(engine_for, tmp_path):
    _fixture(tmp_path)

    rows = sales_by_country(engine_for(tmp_path), MAY_1_2)

    # Sessions with pages: GB s1, s3; FR s2 (its known country wins); unknown s5; the bot
    # and s6 (May 3rd) are out. Orders: GB 101, 102, 104 = 9,000; US 106; FR 103 (a guest);
    # DE's 105 was cancelled and 107 is May 3rd. Most revenue first.
    assert rows == [
        CountrySales("GB", sessions=2, orders=3, revenue_minor=9_000),
        CountrySales("US", sessions=0, orders=1, revenue_minor=4_000),
        CountrySales("FR", sessions=1, orders=1, revenue_minor=2_000),
        CountrySales("unknown", sessions=1, orders=0, revenue_minor=0),
    ]
    assert rows[0].average_order_minor == 3_000
    assert rows[0].conversion_rate == 1.5
    assert rows[3].average_order_minor is None


def test_countries_in_the_shops_time_zone(engine_for, tmp_path):
    _fixture(tmp_path)

    # Sydney is UTC+10: May 2nd..3rd local is May 1st 14:00 .. May 3rd 14:00 UTC, so s1
    # and 101 (May 1st 10:00 UTC) fall out and 107 (May 3rd 01:00 UTC) comes in.
    rows = sales_by_country(
        engine_for(tmp_path), Period(date(2026, 5, 2), date(2026, 5, 3), tz="Australia/Sydney")
    )

    assert rows[0] == CountrySales("GB", sessions=1, orders=3, revenue_minor=5_500)


def test_a_channel_filter_narrows_sessions_and_orders(engine_for, tmp_path):
    _fixture(tmp_path)

    period = Period(date(2026, 5, 1), date(2026, 5, 2), filters=Filters(channel="app"))
    rows = sales_by_country(engine_for(tmp_path), period)

    assert rows == [CountrySales("GB", sessions=1, orders=1, revenue_minor=1_000)]


def test_new_and_returning_customers(engine_for, tmp_path):
    _fixture(tmp_path)

    result = new_and_returning(engine_for(tmp_path), MAY_1_2)

    # Customer 1 ordered in April (90): returning with 101. Customer 3's first order is
    # 102, so 104 is a new customer's too; customer 5's April order was cancelled, so 106
    # is new. 103 is a guest's.
    assert result.returning == CustomerGroup(customers=1, orders=1, revenue_minor=5_000)
    assert result.new == CustomerGroup(customers=2, orders=3, revenue_minor=8_000)
    assert result.guests == CustomerGroup(customers=0, orders=1, revenue_minor=2_000)
    assert result.new_customer_share == 2 / 3


def test_new_and_returning_in_the_comparison_period(engine_for, tmp_path):
    _fixture(tmp_path)

    # May's comparison period is April: customer 1's order 90 was a new customer's then.
    result = new_and_returning(engine_for(tmp_path), Period(date(2026, 5, 1), date(2026, 5, 31)).previous())

    assert result.new == CustomerGroup(customers=1, orders=1, revenue_minor=2_500)
    assert result.returning == CustomerGroup(customers=0, orders=0, revenue_minor=0)


def test_a_device_filter_keeps_the_orders_placed_on_it(engine_for, tmp_path):
    _fixture(tmp_path)

    period = Period(date(2026, 5, 1), date(2026, 5, 2), filters=Filters(device="phone"))
    result = new_and_returning(engine_for(tmp_path), period)

    # Only 101 was placed from a phone (its order_placed event's session).
    assert result.returning == CustomerGroup(customers=1, orders=1, revenue_minor=5_000)
    assert (result.new.orders, result.guests.orders) == (0, 0)


def test_age_bands_with_their_conversion(engine_for, tmp_path):
    _fixture(tmp_path)

    rows = age_bands(engine_for(tmp_path), MAY_1_2)

    # Orders: 35-44 customer 1 (101); 25-34 customer 3 (102, 104); unknown: customer 5
    # without consent (106) and the guest's 103. Signed-in sessions: s1 (customer 1, who
    # signed in only at the order: placed) and s3 (customer 2, 25-34: no order).
    assert rows == [
        AgeBand(
            "25-34", customers=1, orders=2, revenue_minor=4_000, signed_in_sessions=1, converted_sessions=0
        ),
        AgeBand(
            "35-44", customers=1, orders=1, revenue_minor=5_000, signed_in_sessions=1, converted_sessions=1
        ),
        AgeBand(
            "unknown", customers=1, orders=2, revenue_minor=6_000, signed_in_sessions=0, converted_sessions=0
        ),
    ]
    assert rows[0].conversion_rate == 0
    assert rows[1].conversion_rate == 1
    assert rows[2].conversion_rate is None
