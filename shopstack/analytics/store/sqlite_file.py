"""Events waiting for compaction in a SQLite file of their own (the embedded tier).

Not the shop's database: an append never queues behind an order's write transaction, and
the shop's backups do not carry the visitor log. WAL with synchronous=NORMAL: a killed
process loses nothing that was committed; a power cut may lose the last moments.

An append is one row per UTC day it touches, holding that day's events as one pickled
list of row tuples (columns.event_row), not a row per event: a web process's writer
appends every half second, and binding 38 columns per event into an indexed table cost
about 6 µs an event of the page's CPU (two events a product page), a pickle of the rows
under 1 µs. Compaction reads a day's batches back in the order they were appended.
Files written before this layout hold one row per event in `events`: those are read (and
deleted) first, and nothing is appended there any more.
"""

from __future__ import annotations

import pickle
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent
from shopstack.analytics.store.base import DayBatch, EventStore
from shopstack.analytics.store.columns import event_row, rows_table
from shopstack.core.sqlite_file import SqliteFileConnections

_COLUMNS = ", ".join(FIELD_NAMES)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS event_batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, events INTEGER NOT NULL, payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS event_batches_day_seq ON event_batches (day, seq);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, {_COLUMNS});
CREATE INDEX IF NOT EXISTS events_day_seq ON events (day, seq);
"""
_INSERT = "INSERT INTO event_batches (day, events, payload) VALUES (?, ?, ?)"
# The events of a batch are never read by SQL, only by this module: the pickle is ours.
_PROTOCOL = 5


class SqliteFileEventStore(EventStore):
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._connections = SqliteFileConnections(self.path, synchronous="NORMAL", schema=_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    def append(self, events: Sequence[AnalyticsEvent]) -> None:
        if not events:
            return
        by_day: dict[str, list[tuple[Any, ...]]] = {}
        for event in events:
            row = event_row(event)
            held = by_day.get(row[0])
            if held is None:
                by_day[row[0]] = [row[1:]]
            else:
                held.append(row[1:])
        batches = [(day, len(rows), pickle.dumps(rows, _PROTOCOL)) for day, rows in by_day.items()]
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(_INSERT, batches)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def days(self) -> list[str]:
        rows = (
            self._connection()
            .execute("SELECT day FROM event_batches UNION SELECT day FROM events ORDER BY day")
            .fetchall()
        )
        return [day for (day,) in rows]

    def read_day(self, day: str) -> DayBatch:
        connection = self._connection()
        # One read transaction: the rows and the high-water marks agree.
        connection.execute("BEGIN")
        try:
            (rows_upto,) = connection.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
            (batches_upto,) = connection.execute("SELECT coalesce(max(seq), 0) FROM event_batches").fetchone()
            rows = connection.execute(
                f"SELECT {_COLUMNS} FROM events WHERE day = ? AND seq <= ? ORDER BY seq", (day, rows_upto)
            ).fetchall()
            batches = connection.execute(
                "SELECT payload FROM event_batches WHERE day = ? AND seq <= ? ORDER BY seq",
                (day, batches_upto),
            )
            for (payload,) in batches:
                rows.extend(pickle.loads(payload))  # our own bytes: append() wrote them
        finally:
            connection.execute("COMMIT")
        return DayBatch(day=day, events=rows_table(rows), receipt=(int(rows_upto), int(batches_upto)))

    def delete(self, batch: DayBatch) -> int:
        # Appends are serialised by the write lock, so a seq at or below a mark was
        # committed before the read and was read.
        receipt: tuple[int, int] = batch.receipt  # type: ignore[assignment]
        rows_upto, batches_upto = receipt
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            (events,) = connection.execute(
                "SELECT coalesce(sum(events), 0) FROM event_batches WHERE day = ? AND seq <= ?",
                (batch.day, batches_upto),
            ).fetchone()
            connection.execute(
                "DELETE FROM event_batches WHERE day = ? AND seq <= ?", (batch.day, batches_upto)
            )
            cursor = connection.execute(
                "DELETE FROM events WHERE day = ? AND seq <= ?", (batch.day, rows_upto)
            )
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return int(events) + cursor.rowcount

    def count(self) -> int:
        (batched,) = (
            self._connection().execute("SELECT coalesce(sum(events), 0) FROM event_batches").fetchone()
        )
        (rows,) = self._connection().execute("SELECT count(*) FROM events").fetchone()
        return int(batched) + int(rows)

    def clear(self) -> None:
        connection = self._connection()
        connection.execute("DELETE FROM event_batches")
        connection.execute("DELETE FROM events")

    def ping(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True
