"""Search on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.metrics.search import search
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events

MAY_1 = Period(date(2026, 5, 1), date(2026, 5, 1))


def _search(when: str, session: str, query: str, results: int | None, **fields) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind="search",
        occurred_at=at(when),
        visitor_id=f"v-{session}",
        session_id=session,
        search_query=query,
        result_count=results,
        **fields,
    )


def _click(when: str, session: str, query: str, **fields) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind="search_click",
        occurred_at=at(when),
        visitor_id=f"v-{session}",
        session_id=session,
        search_query=query,
        product_id=1,
        **fields,
    )


def _placed(when: str, session: str) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind="order_placed", occurred_at=at(when), visitor_id=f"v-{session}", session_id=session, order_id=1
    )


def _fixture(root) -> None:
    write_events(
        root,
        [
            _search("2026-05-01 09:00", "s1", "Blue Mug", 5),
            _click("2026-05-01 09:01", "s1", "blue mug"),
            _search("2026-05-01 09:02", "s1", "blue  mug ", 5),
            _placed("2026-05-01 09:10", "s1"),
            _search("2026-05-01 10:00", "s2", "BLUE MUG", 5),
            _search("2026-05-01 10:01", "s2", "teapot xl", 0),
            _search("2026-05-01 11:00", "s3", "Teapot XL", 0),
            _search("2026-05-01 11:01", "s3", "  teapot   xl", 0),
            _placed("2026-05-01 12:00", "s4"),  # an order without a search
            _search("2026-05-01 13:00", "s5", "scarf", 2, device="tablet"),
            _click("2026-05-01 13:01", "s5", "Scarf", device="tablet"),
            _click("2026-05-01 13:02", "s5", "scarf", device="tablet"),
            _search("2026-05-01 14:00", "s6", "Café Mug", 1),
            _search("2026-05-01 14:01", "s6", "CAFÉ  MUG", None),  # an unknown count is not zero
            _search("2026-05-01 15:00", "bot", "blue mug", 5, is_bot=True, device="bot"),
            _search("2026-05-02 09:00", "s7", "blue mug", 5),  # the next day
            _search("2026-04-30 23:30", "s8", "Lamp", 0),  # May 1st in London
        ],
    )


def test_search_totals_and_queries(engine_for, tmp_path):
    _fixture(tmp_path)

    result = search(engine_for(tmp_path), MAY_1)

    # Searches: s1 2, s2 2, s3 2, s5 1, s6 2; clicks: s1 1, s5 2; zero results: s2 1, s3 2.
    assert (result.searches, result.search_sessions, result.clicks, result.zero_result_searches) == (
        9,
        5,
        3,
        3,
    )
    assert result.click_through == 3 / 9
    # Of the five search sessions only s1 placed an order (s4 ordered without searching).
    assert (result.converted_search_sessions, result.conversion_rate) == (1, 1 / 5)
    assert [
        (q.query, q.searches, q.sessions, q.zero_result_searches, q.clicks) for q in result.top_queries
    ] == [
        ("blue mug", 3, 2, 0, 1),
        ("teapot xl", 3, 2, 3, 0),
        ("café mug", 2, 1, 0, 0),
        ("scarf", 1, 1, 0, 2),
    ]
    assert [(q.query, q.zero_result_searches) for q in result.zero_result_queries] == [("teapot xl", 3)]
    assert result.top_queries[3].click_through == 2.0


def test_a_limit_and_a_device_filter(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    top_one = search(engine, MAY_1, limit=1)
    tablet = search(engine, Period(MAY_1.start, MAY_1.end, filters=Filters(device="tablet")))

    assert [q.query for q in top_one.top_queries] == ["blue mug"]
    assert [q.query for q in top_one.zero_result_queries] == ["teapot xl"]
    assert (tablet.searches, tablet.clicks, [q.query for q in tablet.top_queries]) == (1, 2, ["scarf"])


def test_the_shops_day_and_the_previous_period(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    london = search(engine, Period(MAY_1.start, MAY_1.end, tz="Europe/London"))
    before = search(engine, MAY_1.previous())

    assert (london.searches, london.zero_result_searches) == (10, 4)
    assert [(q.query, q.zero_result_searches) for q in london.zero_result_queries] == [
        ("teapot xl", 3),
        ("lamp", 1),
    ]
    assert (before.searches, before.search_sessions, [q.query for q in before.zero_result_queries]) == (
        1,
        1,
        ["lamp"],
    )
