"""The SQLite file store's own layout: a batch per append and day, and rows of the older
layout (a row per event) still read and deleted until none are left."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent, Channel, Device, Kind
from shopstack.analytics.store.columns import event_row
from shopstack.analytics.store.sqlite_file import SqliteFileEventStore

DAY = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def _event(visitor: str, at: datetime = DAY) -> AnalyticsEvent:
    return AnalyticsEvent(Kind.PAGE_VIEW, occurred_at=at, visitor_id=visitor, path="/p/mug/")


def _legacy_insert(store: SqliteFileEventStore, event: AnalyticsEvent) -> None:
    columns = ", ".join(FIELD_NAMES)
    marks = ", ".join("?" * (len(FIELD_NAMES) + 1))
    store._connection().execute(f"INSERT INTO events (day, {columns}) VALUES ({marks})", event_row(event))


def test_an_append_is_one_row_per_day_it_touches(tmp_path):
    store = SqliteFileEventStore(str(tmp_path / "events.sqlite3"))

    store.append([_event("a"), _event("b"), _event("c", DAY + timedelta(days=1)), _event("d")])

    rows = store._connection().execute("SELECT day, events FROM event_batches ORDER BY seq").fetchall()
    assert rows == [("2026-03-14", 3), ("2026-03-15", 1)]
    assert store.count() == 4
    assert store.read_day("2026-03-14").events.column("visitor_id").to_pylist() == ["a", "b", "d"]


def test_rows_of_the_older_layout_are_read_first_and_deleted_with_the_batch(tmp_path):
    store = SqliteFileEventStore(str(tmp_path / "events.sqlite3"))
    _legacy_insert(store, _event("before the upgrade"))
    store.append([_event("after the upgrade")])

    assert store.days() == ["2026-03-14"]
    assert store.count() == 2
    batch = store.read_day("2026-03-14")
    assert batch.events.column("visitor_id").to_pylist() == ["before the upgrade", "after the upgrade"]

    store.append([_event("after the read")])
    assert store.delete(batch) == 2
    assert store.read_day("2026-03-14").events.column("visitor_id").to_pylist() == ["after the read"]


def test_rows_hold_plain_values_only(tmp_path):
    # Kind, Channel and Device are StrEnums: the batch holds their text, so reading it back
    # needs no class of the shop (and survives their renaming).
    row = event_row(
        AnalyticsEvent(Kind.PRODUCT_VIEW, occurred_at=DAY, channel=Channel.APP, device=Device.PHONE)
    )

    assert {type(value) for value in row} <= {str, int, type(None)}
    assert row[0] == "2026-03-14"


def test_a_file_of_the_older_layout_opens(tmp_path):
    path = tmp_path / "events.sqlite3"
    columns = ", ".join(FIELD_NAMES)
    old = sqlite3.connect(path)
    old.executescript(
        f"CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, {columns});"
        "CREATE INDEX events_day_seq ON events (day, seq);"
    )
    old.close()

    store = SqliteFileEventStore(str(path))
    store.append([_event("new")])

    assert store.count() == 1
