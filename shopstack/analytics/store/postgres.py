"""Events waiting for compaction in a PostgreSQL table (the scale-out tier).

Every web process of every machine appends to one table, so one compaction worker sees
them all. Its own connection (psycopg, not Django's): an append is never part of a
request's transaction, and a rolled-back order does not take its page views with it.
COPY makes a batch one round trip.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent
from shopstack.analytics.store.base import DayBatch, EventStore
from shopstack.analytics.store.columns import BOOL_FIELDS, TIME_FIELDS, event_row, rows_table
from shopstack.analytics.warehouse.layout import EVENTS

_SQL_TYPES = {"int16": "smallint", "int32": "integer", "int64": "bigint", "string": "text"}


def _column_type(name: str) -> str:
    if name in TIME_FIELDS:
        return "bigint"
    if name in BOOL_FIELDS:
        return "smallint"
    return _SQL_TYPES[str(EVENTS.field(name).type)]


_COLUMNS = ", ".join(FIELD_NAMES)
# An unreachable server is given up on after this long (libpq waits for TCP's own timeout,
# minutes, by default): the readiness probe pings the store and must answer promptly.
CONNECT_TIMEOUT_SECONDS = 5


def _shop_database() -> psycopg.Connection:
    from django.db import connections

    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    return psycopg.connect(**params, autocommit=True)


def _database(url: str) -> psycopg.Connection:
    if "connect_timeout" not in conninfo_to_dict(url):  # the URL's own wins
        url = make_conninfo(url, connect_timeout=CONNECT_TIMEOUT_SECONDS)
    return psycopg.connect(url, autocommit=True)


class PostgresEventStore(EventStore):
    def __init__(self, url: str = "", table: str = "analytics_event_spool") -> None:
        # No URL: the shop's own database, as Django is connected to it when first used
        # (under test, Django's test database).
        self.url = url
        self.table = table
        self._local = threading.local()

    def _connection(self) -> psycopg.Connection:
        connection: psycopg.Connection | None = getattr(self._local, "connection", None)
        if connection is None or connection.closed or self._local.pid != os.getpid():
            connection = _database(self.url) if self.url else _shop_database()
            columns = ", ".join(f"{name} {_column_type(name)}" for name in FIELD_NAMES)
            connection.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} "
                f"(seq bigserial PRIMARY KEY, day text NOT NULL, {columns})"
            )
            connection.execute(f"CREATE INDEX IF NOT EXISTS {self.table}_day_seq ON {self.table} (day, seq)")
            self._local.connection = connection
            self._local.pid = os.getpid()
        return connection

    def append(self, events: Sequence[AnalyticsEvent]) -> None:
        if not events:
            return
        connection = self._connection()
        copy_rows = f"COPY {self.table} (day, {_COLUMNS}) FROM STDIN"
        with connection.transaction(), connection.cursor() as cursor, cursor.copy(copy_rows) as copy:
            for event in events:
                copy.write_row(event_row(event))

    def days(self) -> list[str]:
        rows = self._connection().execute(f"SELECT DISTINCT day FROM {self.table} ORDER BY day").fetchall()
        return [day for (day,) in rows]

    def read_day(self, day: str) -> DayBatch:
        rows = (
            self._connection()
            .execute(f"SELECT seq, {_COLUMNS} FROM {self.table} WHERE day = %s ORDER BY seq", (day,))
            .fetchall()
        )
        # The receipt is the seqs themselves, not a high-water mark: a sequence value is
        # taken before its row commits, so a row below the mark may commit after this read.
        seqs = [row[0] for row in rows]
        return DayBatch(day=day, events=rows_table(row[1:] for row in rows), receipt=seqs)

    def delete(self, batch: DayBatch) -> int:
        seqs = list(batch.receipt)  # type: ignore[call-overload]
        if not seqs:
            return 0
        cursor = self._connection().execute(f"DELETE FROM {self.table} WHERE seq = ANY(%s)", (seqs,))
        return cursor.rowcount

    def count(self) -> int:
        row = self._connection().execute(f"SELECT count(*) FROM {self.table}").fetchone()
        return int(row[0]) if row else 0

    def clear(self) -> None:
        self._connection().execute(f"DELETE FROM {self.table}")

    def ping(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def close(self) -> None:
        connection: psycopg.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
