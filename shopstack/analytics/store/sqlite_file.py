"""Events waiting for compaction in a SQLite file of their own (the embedded tier).

Not the shop's database: an append never queues behind an order's write transaction, and
the shop's backups do not carry the visitor log. WAL with synchronous=NORMAL: a killed
process loses nothing that was committed; a power cut may lose the last moments.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent
from shopstack.analytics.store.base import DayBatch, EventStore
from shopstack.analytics.store.columns import event_row, rows_table
from shopstack.core.sqlite_file import SqliteFileConnections

_COLUMNS = ", ".join(FIELD_NAMES)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, {_COLUMNS});
CREATE INDEX IF NOT EXISTS events_day_seq ON events (day, seq);
"""
_INSERT = f"INSERT INTO events (day, {_COLUMNS}) VALUES ({', '.join('?' * (len(FIELD_NAMES) + 1))})"


class SqliteFileEventStore(EventStore):
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._connections = SqliteFileConnections(self.path, synchronous="NORMAL", schema=_SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    def append(self, events: Sequence[AnalyticsEvent]) -> None:
        if not events:
            return
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany(_INSERT, [event_row(event) for event in events])
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def days(self) -> list[str]:
        rows = self._connection().execute("SELECT DISTINCT day FROM events ORDER BY day").fetchall()
        return [day for (day,) in rows]

    def read_day(self, day: str) -> DayBatch:
        connection = self._connection()
        # One read transaction: the rows and the high-water mark agree.
        connection.execute("BEGIN")
        try:
            (upto,) = connection.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()
            rows = connection.execute(
                f"SELECT {_COLUMNS} FROM events WHERE day = ? AND seq <= ? ORDER BY seq", (day, upto)
            ).fetchall()
        finally:
            connection.execute("COMMIT")
        return DayBatch(day=day, events=rows_table(rows), receipt=int(upto))

    def delete(self, batch: DayBatch) -> int:
        # Appends are serialised by the write lock, so a seq at or below the mark was
        # committed before the read and was read.
        cursor = self._connection().execute(
            "DELETE FROM events WHERE day = ? AND seq <= ?", (batch.day, batch.receipt)
        )
        return cursor.rowcount

    def count(self) -> int:
        (count,) = self._connection().execute("SELECT count(*) FROM events").fetchone()
        return int(count)

    def clear(self) -> None:
        self._connection().execute("DELETE FROM events")

    def ping(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True
