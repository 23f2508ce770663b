from __future__ import annotations

from django.db import connection

from shopstack.search.backends.base import SearchBackend
from shopstack.search.backends.postgres import PostgresBackend
from shopstack.search.backends.sqlite_fts import SqliteFtsBackend

ALL_BACKENDS: list[type[SearchBackend]] = [SqliteFtsBackend, PostgresBackend]


def available_backends() -> list[type[SearchBackend]]:
    """Backends that run on the database the tests use (each tier runs its own)."""
    return [cls for cls in ALL_BACKENDS if not cls.vendors or connection.vendor in cls.vendors]
