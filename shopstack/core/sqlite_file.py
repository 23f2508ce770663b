"""A SQLite file of its own beside the shop's database (rate counters, waiting analytics
events): one connection per thread and process, in autocommit mode, in WAL."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path


class SqliteFileConnections:
    def __init__(self, path: Path, *, synchronous: str, schema: str) -> None:
        self.path = path
        self._synchronous = synchronous
        self._schema = schema
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        # sqlite3 connections must not be shared across threads, nor survive into a forked worker.
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or self._local.pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
            connection.executescript(self._schema)
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection
