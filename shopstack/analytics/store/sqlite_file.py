"""Events waiting for compaction in a SQLite file of their own (the embedded tier).

Not the shop's database: an append never queues behind an order's write transaction, and
the shop's backups do not carry the visitor log. WAL with synchronous=NORMAL: a killed
process loses nothing that was committed; a power cut may lose the last moments.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent
from shopstack.analytics.store.base import DayBatch, EventStore
from shopstack.analytics.store.columns import event_row, rows_table

_COLUMNS = ", ".join(FIELD_NAMES)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, day TEXT NOT NULL, {_COLUMNS});
CREATE INDEX IF NOT EXISTS events_day_seq ON events (day, seq);
"""
_INSERT = f"INSERT INTO events (day, {_COLUMNS}) VALUES ({', '.join('?' * (len(FIELD_NAMES) + 1))})"


class SqliteFileEventStore(EventStore):
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process: sqlite3 connections must not be shared
        # across threads, nor survive into a forked worker.
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

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
