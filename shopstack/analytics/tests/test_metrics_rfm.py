"""RFM segments on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.metrics.rfm import SEGMENTS, Segment, rfm_segments, segment_of
from shopstack.analytics.tests.warehouse_fixtures import at, write_rows

MAY = Period(date(2026, 5, 1), date(2026, 5, 31))

# customer: (orders, revenue, last order). With ten customers NTILE(5) puts two in each
# score, lowest first:
#   recency (oldest last order first): 5, 4 | 7, 8 | 2, 9 | 3, 6 | 10, 1
#   frequency (fewest orders first; equal counts by id): 3, 5 | 9, 6 | 7, 8 | 10, 4 | 2, 1
#     (6, 7 and 8 all have 2 orders: the id decides that 6 scores 2 and 7, 8 score 3)
#   monetary (least revenue first): 5, 3 | 9, 6 | 8, 7 | 10, 4 | 2, 1
# so (R, F, M) and the segment:
#   1 (5, 5, 5) Champions          6 (4, 2, 2) Potential loyalists
#   2 (3, 5, 5) Loyal              7 (2, 3, 3) At risk
#   3 (4, 1, 1) New: one order     8 (2, 3, 3) At risk
#   4 (1, 4, 4) At risk            9 (3, 2, 2) Needs attention: one order, middling recency
#   5 (1, 1, 1) Hibernating       10 (5, 4, 4) Champions
CUSTOMERS = {
    1: (6, 60_000, "2026-05-30 10:00"),
    2: (5, 40_000, "2026-05-10 10:00"),
    3: (1, 900, "2026-05-20 10:00"),
    4: (4, 30_000, "2026-01-10 10:00"),
    5: (1, 500, "2026-01-05 10:00"),
    6: (2, 2_000, "2026-05-22 10:00"),
    7: (2, 8_000, "2026-03-01 10:00"),
    8: (2, 2_500, "2026-03-15 10:00"),
    9: (1, 1_000, "2026-05-12 10:00"),
    10: (3, 9_000, "2026-05-28 10:00"),
}


def _fixture(root) -> None:
    rows = []
    for customer, (count, revenue, last) in CUSTOMERS.items():
        # Earlier orders of 100 each in November 2025; the last order carries the rest.
        for day in range(1, count):
            rows.append(
                {
                    "customer_id": customer,
                    "placed_at": at(f"2025-11-{day:02d} 10:00"),
                    "paid_at": at(f"2025-11-{day:02d} 10:00"),
                    "total_minor": 100,
                }
            )
        rows.append(
            {
                "customer_id": customer,
                "placed_at": at(last),
                "paid_at": at(last),
                "total_minor": revenue - 100 * (count - 1),
            }
        )
    rows += [
        {"customer_id": 5, "placed_at": at("2026-05-30 12:00"), "total_minor": 99_999, "status": "cancelled"},
        {
            "customer_id": 9,
            "placed_at": at("2026-06-02 10:00"),
            "paid_at": at("2026-06-02 10:00"),
            "total_minor": 99_999,
        },  # after the period
        {
            "customer_id": None,
            "placed_at": at("2026-05-15 10:00"),
            "paid_at": at("2026-05-15 10:00"),
            "total_minor": 99_999,
        },  # a guest
    ]
    for number, row in enumerate(rows, start=1):
        row.update(order_id=number, status=row.get("status", "paid"))
    write_rows(root, "orders", rows)
    write_rows(
        root,
        "customers",
        [
            {"customer_id": customer, "country": "DE" if customer in (4, 5) else "GB"}
            for customer in CUSTOMERS
        ],
    )


def test_segments_from_quintile_scores(engine_for, tmp_path):
    _fixture(tmp_path)

    result = rfm_segments(engine_for(tmp_path), MAY)

    assert result.segments == (
        Segment("Champions", customers=2, orders=9, revenue_minor=69_000),
        Segment("Loyal", customers=1, orders=5, revenue_minor=40_000),
        Segment("Potential loyalists", customers=1, orders=2, revenue_minor=2_000),
        Segment("New", customers=1, orders=1, revenue_minor=900),
        Segment("Needs attention", customers=1, orders=1, revenue_minor=1_000),
        Segment("At risk", customers=3, orders=8, revenue_minor=40_500),
        Segment("Hibernating", customers=1, orders=1, revenue_minor=500),
    )
    assert result.customers == 10
    assert result.share("At risk") == 0.3


def test_the_comparison_period_scores_customers_as_they_were(engine_for, tmp_path):
    _fixture(tmp_path)

    # As of April 30th: everyone with an order by then (3 and 9 first ordered in May).
    result = rfm_segments(engine_for(tmp_path), MAY.previous())

    assert result.customers == 8
    assert result.segments[SEGMENTS.index("New")].customers == 0


def test_a_country_filter_scores_that_countrys_customers_alone(engine_for, tmp_path):
    _fixture(tmp_path)

    # Two customers: each score has one group of one (NTILE gives 1 and 2): both end up
    # hibernating (5 has one old order; 4 scores (2, 2, 2)).
    result = rfm_segments(engine_for(tmp_path), Period(MAY.start, MAY.end, filters=Filters(country="DE")))

    assert result.segments[SEGMENTS.index("Hibernating")] == Segment("Hibernating", 2, 5, 30_500)
    assert result.customers == 2


def test_an_empty_warehouse_has_empty_segments(engine_for, tmp_path):
    result = rfm_segments(engine_for(tmp_path), MAY)

    assert result.customers == 0
    assert result.share("Champions") is None


def test_one_order_customers_are_never_loyal_nor_at_risk():
    assert segment_of(5, 5, 5, one_order=True) == "New"
    assert segment_of(2, 5, 5, one_order=True) == "Hibernating"
    assert segment_of(2, 5, 5, one_order=False) == "At risk"
