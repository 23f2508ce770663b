"""The session rule: 30 minutes of quiet, a new campaign, and midnight (which is no edge)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.sessions import sessions_assign
from shopstack.analytics.store.columns import events_table

GAP = timedelta(minutes=30)
START = datetime(2026, 5, 1, 23, 40, tzinfo=UTC)


def _table(*events: AnalyticsEvent) -> pa.Table:
    return events_table(events)


def _view(minutes: float, visitor: str = "anon-1", **fields) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind="page_view", occurred_at=START + timedelta(minutes=minutes), visitor_id=visitor, **fields
    )


def _sessions(*events: AnalyticsEvent) -> list[str]:
    return sessions_assign(_table(*events), gap=GAP).column("session_id").to_pylist()


def test_a_gap_just_under_30_minutes_keeps_the_session_and_30_minutes_ends_it():
    ids = _sessions(_view(0), _view(29.99), _view(59.99))

    assert ids[0] == ids[1]
    assert ids[2] != ids[1]


def test_a_visit_across_midnight_is_one_session():
    ids = _sessions(_view(0), _view(15), _view(30))  # 23:40, 23:55, 00:10

    assert len(set(ids)) == 1


def test_a_page_from_another_campaign_starts_a_new_session_and_a_plain_page_does_not():
    ids = _sessions(
        _view(0, utm_source="news", utm_campaign="may"),
        _view(1),
        _view(2, utm_source="news", utm_campaign="may"),
        _view(3, utm_source="ads", utm_campaign="may"),
    )

    assert ids[0] == ids[1] == ids[2]
    assert ids[3] != ids[2]


def test_visitors_have_sessions_of_their_own_and_given_ids_are_kept():
    ids = _sessions(_view(0, "a"), _view(1, "b"), _view(2, "a", session_id="from-the-app"))

    assert ids[0] != ids[1]
    assert ids[2] == "from-the-app"


def test_the_same_events_in_another_order_get_the_same_ids():
    events = [_view(0), _view(10, "b"), _view(50), _view(55)]

    assert sorted(_sessions(*events)) == sorted(_sessions(*reversed(events)))


def test_an_event_without_a_session_continues_the_given_session_before_it():
    ids = _sessions(
        _view(0, session_id="s-compacted"),
        _view(20, session_id="s-compacted"),
        _view(10),  # arrived late: inside the visit
        _view(45),  # 25 minutes after the visit's last event: still the visit
        _view(100),  # an hour of quiet: a new visit
        _view(101, utm_source="ads", utm_campaign="may"),  # a new campaign: a new visit
    )

    assert ids[:4] == ["s-compacted"] * 4
    assert len({ids[3], ids[4], ids[5]}) == 3


def test_an_event_just_before_a_given_session_starts_its_own():
    # Ids once given are never changed, so the visit's start cannot move earlier.
    ids = _sessions(_view(10, session_id="s-given"), _view(5))

    assert ids[0] == "s-given"
    assert ids[1] not in ("", "s-given")
