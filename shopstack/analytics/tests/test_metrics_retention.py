"""Cohort retention on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.metrics.retention import cohort_retention
from shopstack.analytics.tests.warehouse_fixtures import at, write_rows

MAY_1_15 = Period(date(2026, 5, 1), date(2026, 5, 15))
NOT_YET = (None,) * 12


def _fixture(root) -> None:
    orders = [
        # (customer, placed at UTC, status)
        (1, "2025-12-20 10:00", "paid"),  # first ordered before February: in no cohort from then on
        (1, "2026-02-05 10:00", "paid"),
        (1, "2026-03-05 10:00", "paid"),
        (2, "2026-02-03 10:00", "paid"),  # February; back in March and May
        (2, "2026-03-10 10:00", "paid"),
        (2, "2026-05-02 10:00", "paid"),
        (3, "2026-02-28 23:30", "paid"),  # February in UTC; March 1st 00:30 in Berlin
        (3, "2026-04-05 10:00", "paid"),
        (4, "2026-02-10 10:00", "cancelled"),  # does not count: March is its cohort
        (4, "2026-03-05 10:00", "paid"),
        (4, "2026-03-20 10:00", "paid"),  # the same month again: not a return
        (5, "2026-04-15 10:00", "paid"),  # April; its next order is after the period
        (5, "2026-05-16 10:00", "paid"),
        (6, "2026-05-03 10:00", "paid"),  # May
        (7, "2026-03-01 12:00", "paid"),  # March, back in April; a customer in Germany
        (7, "2026-04-01 12:00", "paid"),
        (None, "2026-02-04 10:00", "paid"),  # a guest: no cohort
    ]
    write_rows(
        root,
        "orders",
        [
            {
                "order_id": number,
                "customer_id": customer,
                "placed_at": at(when),
                "paid_at": None if status == "cancelled" else at(when),
                "status": status,
                "total_minor": 1_000,
            }
            for number, (customer, when, status) in enumerate(orders, start=1)
        ],
    )
    write_rows(
        root,
        "customers",
        [{"customer_id": customer, "country": "DE" if customer == 7 else "GB"} for customer in range(1, 8)],
    )


def _cohorts(result) -> list[tuple[date, int, tuple[int | None, ...]]]:
    return [(cohort.month, cohort.customers, cohort.returned) for cohort in result]


def test_cohorts_by_first_order_month(engine_for, tmp_path):
    _fixture(tmp_path)

    result = cohort_retention(engine_for(tmp_path), MAY_1_15, cohorts=4)

    # February: 2 and 3 (1 first ordered in December). +1 March: 2; +2 April: 3; +3 May: 2;
    # +4 is June, after the period. March: 4 (its February order was cancelled) and 7;
    # +1 April: 7; +2 May: nobody. April: 5, whose May order is after May 15th. May: 6.
    assert _cohorts(result) == [
        (date(2026, 2, 1), 2, (1, 1, 1, *NOT_YET[3:])),
        (date(2026, 3, 1), 2, (1, 0, *NOT_YET[2:])),
        (date(2026, 4, 1), 1, (0, *NOT_YET[1:])),
        (date(2026, 5, 1), 1, NOT_YET),
    ]
    assert result[0].retention[:4] == (0.5, 0.5, 0.5, None)


def test_the_default_shows_thirteen_cohorts_from_all_history(engine_for, tmp_path):
    _fixture(tmp_path)

    result = cohort_retention(engine_for(tmp_path), MAY_1_15)

    # May 2025 .. May 2026. December 2025 holds customer 1: back in February and March.
    assert [cohort.month for cohort in result][::6] == [date(2025, 5, 1), date(2025, 11, 1), date(2026, 5, 1)]
    december = result[7]
    assert (december.month, december.customers) == (date(2025, 12, 1), 1)
    assert december.returned[:6] == (0, 1, 1, 0, 0, None)
    assert (result[0].customers, result[0].retention[0]) == (0, None)


def test_months_are_the_shops_own(engine_for, tmp_path):
    _fixture(tmp_path)

    # In Berlin customer 3 first ordered on March 1st, and came back in April.
    result = cohort_retention(
        engine_for(tmp_path), Period(date(2026, 5, 1), date(2026, 5, 15), tz="Europe/Berlin"), 4
    )

    assert _cohorts(result)[:2] == [
        (date(2026, 2, 1), 1, (1, 0, 1, *NOT_YET[3:])),
        (date(2026, 3, 1), 3, (2, 0, *NOT_YET[2:])),
    ]


def test_the_comparison_period_ends_earlier(engine_for, tmp_path):
    _fixture(tmp_path)

    # May 1st-15th is compared with April 16th-30th: cohorts up to April, returns up to then.
    result = cohort_retention(engine_for(tmp_path), MAY_1_15.previous(), cohorts=4)

    assert _cohorts(result) == [
        (date(2026, 1, 1), 0, (0, 0, 0, *NOT_YET[3:])),
        (date(2026, 2, 1), 2, (1, 1, *NOT_YET[2:])),
        (date(2026, 3, 1), 2, (1, *NOT_YET[1:])),
        (date(2026, 4, 1), 1, NOT_YET),
    ]


def test_a_country_filter_keeps_that_countrys_customers(engine_for, tmp_path):
    _fixture(tmp_path)

    period = Period(date(2026, 5, 1), date(2026, 5, 15), filters=Filters(country="DE"))
    result = cohort_retention(engine_for(tmp_path), period, cohorts=4)

    firsts = [(cohort.customers, cohort.returned[0]) for cohort in result]
    assert firsts == [(0, 0), (1, 1), (0, 0), (0, None)]
