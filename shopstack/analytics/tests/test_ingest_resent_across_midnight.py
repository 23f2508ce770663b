"""An app's batch resent after a lost answer is corrected for the device's clock afresh: when
the second correction moves an event past midnight, its copies lie in two day partitions.
The warehouse still keeps the event once, whichever day is compacted first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shopstack.analytics.ingest import events_ingest
from shopstack.analytics.store import event_store
from shopstack.analytics.tests.warehouse_helpers import day_table
from shopstack.analytics.warehouse.compaction import events_compact
from shopstack.analytics.warehouse.files import warehouse

pytestmark = pytest.mark.django_db

MIDNIGHT = datetime(2026, 3, 15, tzinfo=UTC)
# The event, by the device's clock: two seconds before midnight.
OCCURRED = MIDNIGHT - timedelta(seconds=2)


def _z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _batch(sent_at: datetime) -> dict:
    return {
        "sent_at": _z(sent_at),
        "events": [
            {
                "event_id": "app-event-before-midnight",
                "kind": "page_view",
                "occurred_at": _z(OCCURRED),
                "visitor_id": "visitor-midnight",
                "session_id": "session-midnight",
            },
            {  # an hour earlier: on the 14th however it is corrected
                "event_id": "app-event-evening",
                "kind": "page_view",
                "occurred_at": _z(OCCURRED - timedelta(hours=1)),
                "visitor_id": "visitor-midnight",
                "session_id": "session-midnight",
            },
        ],
    }


def _first_attempt() -> None:
    # Sent a second after the event, received half a second later: corrected to 23:59:58.5.
    events_ingest(
        _batch(OCCURRED + timedelta(seconds=1)),
        received_at=OCCURRED + timedelta(seconds=1, milliseconds=500),
        customer_id=None,
    )


def _resend() -> None:
    # The answer was lost. Resent 30 s later by the device's clock with a new sent_at, and
    # received 35 s later by the server's (a slow network, or the device's clock set back
    # meanwhile): the correction is now +5 s, and the event lands at 00:00:03 on the 15th.
    events_ingest(
        _batch(MIDNIGHT + timedelta(seconds=30)),
        received_at=MIDNIGHT + timedelta(seconds=35),
        customer_id=None,
    )


def _copies(root: str, event_id: str) -> list[str]:
    """The days whose file holds `event_id`, once per copy."""
    found = []
    for day in warehouse(root).event_days():
        found += [day for each in day_table(root, day).column("event_id").to_pylist() if each == event_id]
    return found


@pytest.fixture
def root(settings, tmp_path) -> str:
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "warehouse")
    return settings.ANALYTICS_WAREHOUSE_ROOT


def test_the_resent_copy_really_lands_on_the_next_day():
    _first_attempt()
    _resend()

    store = event_store()
    assert store.days() == ["2026-03-14", "2026-03-15"]
    late = store.read_day("2026-03-15").events.column("event_id").to_pylist()
    assert late == ["app-event-before-midnight"]


def test_copies_on_both_sides_of_midnight_compacted_together_count_once(root):
    _first_attempt()
    _resend()

    events_compact()

    assert _copies(root, "app-event-before-midnight") == ["2026-03-14"]  # the first received
    assert _copies(root, "app-event-evening") == ["2026-03-14"]
    assert event_store().count() == 0


def test_a_copy_resent_after_the_first_was_compacted_counts_once(root):
    _first_attempt()
    events_compact()
    _resend()

    report = events_compact()

    assert _copies(root, "app-event-before-midnight") == ["2026-03-14"]
    assert {day.day: day.added for day in report.days} == {"2026-03-14": 0, "2026-03-15": 0}
    assert event_store().count() == 0


def test_a_copy_on_the_day_before_one_already_compacted_counts_once(root):
    # The other way round: the first attempt's correction put it after midnight, the
    # resend's before it. The day after is compacted first; the day before must not add it.
    events_ingest(
        _batch(OCCURRED + timedelta(seconds=1)),
        received_at=OCCURRED + timedelta(seconds=5),
        customer_id=None,
    )
    events_compact()
    events_ingest(
        _batch(MIDNIGHT + timedelta(seconds=30)),
        received_at=MIDNIGHT + timedelta(seconds=30, milliseconds=100),
        customer_id=None,
    )

    events_compact()

    assert _copies(root, "app-event-before-midnight") == ["2026-03-15"]
    assert _copies(root, "app-event-evening") == ["2026-03-14"]
