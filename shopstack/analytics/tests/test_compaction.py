"""Compaction: the event store's days become one Parquet file each, exactly once per event."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.db import connection

from shopstack.analytics.schema import AnalyticsEvent, Kind
from shopstack.analytics.services import events_append
from shopstack.analytics.store import event_store
from shopstack.analytics.tasks import warehouse_events_compact
from shopstack.analytics.tests.warehouse_helpers import (
    MARCH_14,
    day_files,
    day_table,
    two_days_of_events,
    view,
)
from shopstack.analytics.warehouse.compaction import events_compact
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.layout import EVENTS, events_path
from shopstack.analytics.warehouse.lock import warehouse_lock
from shopstack.core.periodic import periodic_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(settings, tmp_path) -> str:
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "warehouse")
    return settings.ANALYTICS_WAREHOUSE_ROOT


def test_each_utc_day_becomes_one_file_of_the_events_schema_and_leaves_the_store(root):
    events_append(two_days_of_events())

    report = events_compact()

    assert [day.day for day in report.days] == ["2026-03-14", "2026-03-15"]
    assert list(day_files(root)) == [
        "/events/day=2026-03-14/events.parquet",
        "/events/day=2026-03-15/events.parquet",
    ]
    first = pq.ParquetFile(Path(root) / "events/day=2026-03-14/events.parquet")
    assert first.schema_arrow.equals(EVENTS)
    rows = first.read().to_pylist()
    # Sorted by time; the event a microsecond before midnight stays on its day.
    assert [row["event_id"] for row in rows] == ["a1", "b1", "a2", "paid-1", "a3", "late-night"]
    assert rows[3]["value_minor"] == 1299
    assert day_table(root, "2026-03-15").column("event_id").to_pylist() == ["c1", "c2"]
    assert event_store().count() == 0
    assert (report.read, report.added) == (9, 8)


def test_a_bi_tool_reads_the_folder_as_it_is(root):
    events_append(two_days_of_events())
    events_compact()

    counts = duckdb.sql(
        f"SELECT day, count(*) FROM read_parquet('{root}/events/*/*.parquet', hive_partitioning=true) "
        "GROUP BY day ORDER BY day"
    ).fetchall()

    assert [(str(day), count) for day, count in counts] == [("2026-03-14", 6), ("2026-03-15", 2)]


def test_a_repeated_event_id_is_kept_once_as_first_received(root):
    events_append([view(MARCH_14, "same", path="/first/")])
    events_append([view(MARCH_14, "same", path="/resent/"), view(MARCH_14, "other")])
    events_compact()
    events_append([view(MARCH_14, "same", path="/resent-after-compaction/")])

    report = events_compact()

    rows = day_table(root, "2026-03-14").to_pylist()
    assert [(row["event_id"], row["path"]) for row in rows] == [("other", ""), ("same", "/first/")]
    assert (report.read, report.added, report.days[0].written) == (1, 0, False)
    assert event_store().count() == 0


def test_late_events_are_added_to_their_days_file_and_nothing_there_changes(root):
    events_append(two_days_of_events())
    events_compact()
    before = day_table(root, "2026-03-14").to_pylist()

    events_append([view(MARCH_14 + timedelta(hours=3), "late", visitor_id="anon-9")])
    events_compact()

    after = day_table(root, "2026-03-14").to_pylist()
    assert [row for row in after if row["event_id"] != "late"] == before
    assert [row["event_id"] for row in after].count("late") == 1
    assert list(day_files(root)) == [
        "/events/day=2026-03-14/events.parquet",
        "/events/day=2026-03-15/events.parquet",
    ]


def test_compacting_the_same_events_gives_byte_identical_files(settings, tmp_path):
    events = two_days_of_events()
    settings.ANALYTICS_WAREHOUSE_ROOT = first = str(tmp_path / "first")
    events_append(events)
    events_compact()
    settings.ANALYTICS_WAREHOUSE_ROOT = second = str(tmp_path / "second")
    # The same events, received in another order and in two batches.
    events_append(events[5:][::-1])
    events_append(events[:5][::-1])
    events_compact()

    assert day_files(first) == day_files(second)
    assert len(day_files(first)) == 2


def test_a_run_with_nothing_new_and_a_rebuild_leave_the_same_bytes(root):
    events_append(two_days_of_events())
    events_compact()
    compacted = day_files(root)

    events_compact()
    call_command("analytics_compact", "--day", "2026-03-14", "--rebuild", verbosity=0)

    assert day_files(root) == compacted


def test_anonymous_events_get_sessions_by_the_rule_and_given_ones_are_kept(root):
    events_append(two_days_of_events())
    events_compact()

    sessions = {row["event_id"]: row["session_id"] for row in day_table(root, "2026-03-14").to_pylist()}

    # a2 came from a campaign: a new visit; a3 came 40 minutes after it: another.
    assert len({sessions["a1"], sessions["a2"], sessions["a3"]}) == 3
    assert all(sessions[name].startswith("s-") for name in ("a1", "a2", "a3", "late-night"))
    assert sessions["b1"] == sessions["paid-1"] == "live-b"


def test_a_late_event_joins_the_visit_it_continues(root):
    events_append([view(MARCH_14, "first"), view(MARCH_14 + timedelta(minutes=20), "third")])
    events_compact()
    visit = day_table(root, "2026-03-14").column("session_id").to_pylist()[0]

    events_append(
        [
            view(MARCH_14 + timedelta(minutes=10), "second"),  # inside the visit
            view(MARCH_14 + timedelta(hours=2), "much-later"),  # a new one
        ]
    )
    events_compact()

    sessions = {row["event_id"]: row["session_id"] for row in day_table(root, "2026-03-14").to_pylist()}
    assert sessions["first"] == sessions["second"] == sessions["third"] == visit
    assert sessions["much-later"] not in ("", visit)


def test_a_memory_url_root_gives_the_same_files_as_a_folder(settings, tmp_path):
    events = two_days_of_events()
    settings.ANALYTICS_WAREHOUSE_ROOT = folder = str(tmp_path / "folder")
    events_append(events)
    events_compact()
    settings.ANALYTICS_WAREHOUSE_ROOT = memory = f"memory://warehouse-{uuid.uuid4().hex}"
    events_append(events)

    events_compact()

    try:
        assert day_files(memory) == day_files(folder)
        assert day_table(memory, "2026-03-15").column("event_id").to_pylist() == ["c1", "c2"]
        assert event_store().count() == 0
    finally:
        where = warehouse(memory)
        where.fs.rm(where.root, recursive=True)


def test_a_writer_killed_earlier_leaves_a_temporary_file_that_the_next_run_removes(root):
    folder = Path(root) / "events/day=2026-03-14"
    folder.mkdir(parents=True)
    leftover = folder / ".events.parquet.0123abcd.tmp"
    leftover.write_bytes(b"PAR1 half a file")
    events_append([view(MARCH_14, "a1")])

    events_compact()

    assert sorted(item.name for item in folder.iterdir()) == ["events.parquet"]


def test_rebuild_brings_a_days_file_up_to_the_current_layout(root):
    events_append([view(MARCH_14, "a1", campaign="spring")])
    events_compact()
    where = warehouse(root)
    path = events_path(where.root, "2026-03-14")
    # A file from before the layout had "campaign" (columns are only ever added).
    older = day_table(root, "2026-03-14").drop_columns(["campaign"])
    pq.write_table(older, path)

    call_command("analytics_compact", "--day", "2026-03-14", "--rebuild", verbosity=0)

    rebuilt = pq.ParquetFile(path)
    assert rebuilt.schema_arrow.equals(EVENTS)
    assert rebuilt.read().column("campaign").to_pylist() == [None]
    assert rebuilt.read().column("event_id").to_pylist() == ["a1"]


def test_the_command_refuses_a_malformed_day_and_a_rebuild_without_a_day(root):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("analytics_compact", "--day", "14/03/2026", verbosity=0)
    with pytest.raises(CommandError, match="--day"):
        call_command("analytics_compact", "--rebuild", verbosity=0)


def test_the_periodic_task_skips_while_another_compaction_holds_the_lock(root):
    events_append([view(MARCH_14, "a1")])
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with warehouse_lock("events", wait=True):
                held.set()
                release.wait(timeout=300)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(timeout=300)
        assert warehouse_events_compact.enqueue().return_value == 0
        assert event_store().count() == 1
    finally:
        release.set()
        holder.join(timeout=300)

    assert warehouse_events_compact.enqueue().return_value == 1
    assert event_store().count() == 0


def test_compaction_and_the_facts_rebuild_are_periodic_sweeps():
    sweeps = {periodic.name: periodic for periodic in periodic_all()}

    assert sweeps["analytics.events_compact"].task is warehouse_events_compact
    assert sweeps["analytics.events_compact"].interval_seconds == 300
    assert sweeps["analytics.tables_rebuild"].interval_seconds == 3600


def _placed(*, with_visit: bool, seconds: int = 0) -> AnalyticsEvent:
    """An order's order_placed: the checkout request's copy (with the visit) or the outbox's."""
    visit = {"visitor_id": "v-shopper", "session_id": "s-shopper", "consent": True} if with_visit else {}
    return AnalyticsEvent(
        kind=Kind.ORDER_PLACED,
        occurred_at=MARCH_14 + timedelta(seconds=seconds),
        event_id="placed-42",
        order_id=42,
        value_minor=2235,
        currency="GBP",
        **visit,
    )


def _placed_rows(root: str) -> list[tuple[str, str]]:
    table = day_table(root, "2026-03-14")
    return [
        (row["visitor_id"], row["session_id"]) for row in table.to_pylist() if row["event_id"] == "placed-42"
    ]


def test_the_visits_copy_of_an_order_placed_wins_over_the_outboxs_that_came_first(root):
    events_append([_placed(with_visit=False)])  # the outbox's handler is quicker than the web's buffer
    events_append([view(MARCH_14, "page-1", visitor_id="v-shopper", session_id="s-shopper")])
    events_append([_placed(with_visit=True, seconds=1)])

    events_compact()

    assert _placed_rows(root) == [("v-shopper", "s-shopper")]


def test_the_visits_copy_arriving_after_the_outboxs_was_compacted_replaces_it(root):
    events_append([_placed(with_visit=False)])
    events_compact()
    assert [visitor for visitor, _ in _placed_rows(root)] == [""]

    events_append([_placed(with_visit=True, seconds=1)])
    events_compact()

    assert _placed_rows(root) == [("v-shopper", "s-shopper")]
    # ...and a late outbox copy (a delivery run again) never takes the visit away.
    events_append([_placed(with_visit=False)])
    events_compact()
    assert _placed_rows(root) == [("v-shopper", "s-shopper")]


def test_an_order_whose_visits_copy_was_lost_still_counts_once(root):
    events_append([_placed(with_visit=False), _placed(with_visit=False)])  # a delivery run twice

    events_compact()

    assert len(_placed_rows(root)) == 1
