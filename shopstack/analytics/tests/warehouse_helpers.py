"""Shared by the warehouse tests: events to compact and the files they become."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from shopstack.analytics.schema import AnalyticsEvent, Kind
from shopstack.analytics.warehouse.files import warehouse

MARCH_14 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def view(at: datetime, event_id: str, **fields) -> AnalyticsEvent:
    fields.setdefault("kind", Kind.PAGE_VIEW)
    fields.setdefault("visitor_id", "anon-1")
    return AnalyticsEvent(occurred_at=at, event_id=event_id, **fields)


def two_days_of_events() -> list[AnalyticsEvent]:
    """Two UTC days: anonymous visitors without sessions, a visitor with the collector's
    session ids, a repeated event id, a paid order, and one event a microsecond before midnight."""
    events = [
        view(MARCH_14, "a1"),
        view(MARCH_14 + timedelta(minutes=10), "a2", utm_source="news", utm_campaign="march"),
        view(MARCH_14 + timedelta(minutes=50), "a3"),
        view(MARCH_14 + timedelta(minutes=5), "b1", visitor_id="v-b", session_id="live-b", consent=True),
        view(MARCH_14 + timedelta(hours=14, minutes=59, seconds=59, microseconds=999_999), "late-night"),
        AnalyticsEvent(
            kind=Kind.ORDER_PAID,
            occurred_at=MARCH_14 + timedelta(minutes=20),
            event_id="paid-1",
            order_id=7,
            value_minor=1299,
            currency="GBP",
            visitor_id="v-b",
            session_id="live-b",
        ),
        view(MARCH_14 + timedelta(days=1), "c1", visitor_id="anon-2"),
        view(MARCH_14 + timedelta(days=1, minutes=3), "c2", visitor_id="anon-2"),
    ]
    # A client resent a2 (same id, received later): kept once.
    events.append(view(MARCH_14 + timedelta(minutes=10), "a2", utm_source="news", utm_campaign="march"))
    return events


def day_files(root: str) -> dict[str, str]:
    """{path under the root: sha256} of every file under events/."""
    where = warehouse(root)
    found = where.fs.find(f"{where.root}/events")
    return {
        path[len(where.root) :]: hashlib.sha256(where.read_bytes(path)).hexdigest() for path in sorted(found)
    }


def day_table(root: str, day: str) -> pa.Table:
    from shopstack.analytics.warehouse.layout import EVENTS, events_path

    where = warehouse(root)
    table = where.read(events_path(where.root, day), EVENTS)
    assert table is not None, f"no file for {day}"
    return table
