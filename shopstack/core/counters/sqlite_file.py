"""Counters in a SQLite file of their own, shared by the processes of one machine.

Not the shop's database: a count is a single upsert statement (about 10 microseconds),
and it never queues behind an order's write transaction. Counts are not precious: the
file skips fsync (synchronous=OFF), so a power cut may forget the last moments' counts,
which only lifts a limit early.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from shopstack.core.counters.base import CounterBackend
from shopstack.core.sqlite_file import SqliteFileConnections

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counters (
    key TEXT PRIMARY KEY,
    window INTEGER NOT NULL,
    count INTEGER NOT NULL,
    expires_at REAL NOT NULL
) WITHOUT ROWID
"""
_HIT = """
INSERT INTO counters (key, window, count, expires_at) VALUES (?, ?, 1, ?)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN counters.window = excluded.window THEN counters.count + 1 ELSE 1 END,
    window = excluded.window,
    expires_at = max(counters.expires_at, excluded.expires_at)
RETURNING count
"""
# Expired keys are deleted by whichever process reaches this many hits since its last sweep.
_SWEEP_EVERY = 5000


class SqliteFileCounters(CounterBackend):
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._connections = SqliteFileConnections(self.path, synchronous="OFF", schema=_SCHEMA)
        self._hits_since_sweep = 0

    def _connection(self) -> sqlite3.Connection:
        return self._connections.get()

    def hit(self, key: str, *, window: int, expires_at: float) -> int:
        connection = self._connection()
        (count,) = connection.execute(_HIT, (key, window, expires_at)).fetchone()
        self._hits_since_sweep += 1
        if self._hits_since_sweep >= _SWEEP_EVERY:
            self._hits_since_sweep = 0
            connection.execute("DELETE FROM counters WHERE expires_at < ?", (time.time(),))
        return int(count)

    def count(self, key: str, *, window: int) -> int:
        row = (
            self._connection()
            .execute("SELECT count FROM counters WHERE key = ? AND window = ?", (key, window))
            .fetchone()
        )
        return int(row[0]) if row else 0

    def reset(self, key: str, *, window: int) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ? AND window = ?", (key, window))

    def clear(self) -> None:
        self._connection().execute("DELETE FROM counters")

    def ping(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except (sqlite3.Error, OSError):
            return False
        return True
