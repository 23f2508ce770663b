"""Traffic on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.metrics.traffic import traffic
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events


def _page(when: str, visitor: str, session: str, **fields) -> AnalyticsEvent:
    fields.setdefault("kind", "page_view")
    return AnalyticsEvent(occurred_at=at(when), visitor_id=visitor, session_id=session, **fields)


def _fixture(root) -> None:
    write_events(
        root,
        [
            # Visitor a: two sessions on May 1st, the first of two pages (not a bounce).
            _page("2026-05-01 09:00", "a", "a1", device="phone"),
            _page("2026-05-01 09:05", "a", "a1", device="phone"),
            _page("2026-05-01 09:06", "a", "a1", kind="page_engagement", engaged_ms=40_000, device="phone"),
            _page("2026-05-01 18:00", "a", "a2", device="phone"),
            # Visitor b: one page (a bounce) on May 2nd, from a desktop.
            _page("2026-05-02 12:00", "b", "b1", device="desktop"),
            _page("2026-05-02 12:01", "b", "b1", kind="page_engagement", engaged_ms=5_000, device="desktop"),
            # A bot: counted apart.
            _page("2026-05-01 10:00", "bot", "x", is_bot=True, device="bot"),
            # Outside the period (May 3rd at 00:30 UTC).
            _page("2026-05-03 00:30", "c", "c1"),
        ],
    )


def test_traffic_counts_visitors_sessions_bounces_and_time(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    result = traffic(engine, Period(date(2026, 5, 1), date(2026, 5, 2)))

    assert (result.visitors, result.sessions, result.bounced_sessions) == (2, 3, 2)
    assert result.engaged_ms == 45_000
    assert result.bot_events == 1
    assert result.bounce_rate == 2 / 3


def test_the_shops_days_are_its_own_time_zone(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    # In Sydney (UTC+10 in May) 2026-05-03 00:30 UTC is May 3rd 10:30, and May 1st 09:00 UTC
    # is 19:00 the same day: May 2nd..3rd local holds b's and c's visits and a's evening one.
    result = traffic(engine, Period(date(2026, 5, 2), date(2026, 5, 3), tz="Australia/Sydney"))

    assert (result.visitors, result.sessions) == (3, 3)


def test_filters_narrow_to_a_device(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    result = traffic(engine, Period(date(2026, 5, 1), date(2026, 5, 2), filters=Filters(device="phone")))

    assert (result.visitors, result.sessions, result.engaged_ms) == (1, 2, 40_000)


def test_an_empty_warehouse_answers_zeros(engine_for, tmp_path):
    result = traffic(engine_for(tmp_path), Period(date(2026, 5, 1), date(2026, 5, 2)))

    assert (result.visitors, result.sessions, result.bot_events) == (0, 0, 0)
    assert result.bounce_rate is None
