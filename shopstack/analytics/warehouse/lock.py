"""One writer at a time for each part of the warehouse.

Two compactions of the same day at once would lose events: each reads the store, the
second writes its file over the first's, and both delete what they read. The periodic
leases stop two schedulers from starting the sweep together, but not a sweep that runs
longer than its interval, nor `manage.py analytics_compact` run beside it; so every
writer holds this lock. It is held by the process (a connection or an open file), so a
killed writer's lock goes with it and the next run needs no clean-up or timeout.

- PostgreSQL (the scale-out tier, many machines): a session advisory lock on the shop's
  database.
- SQLite (the embedded tier, one machine): flock on a file beside the shop's database.
"""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection


class WarehouseBusy(RuntimeError):
    """Another process is writing this part of the warehouse now."""


def _advisory_key(name: str) -> int:
    digest = hashlib.sha256(f"shopstack analytics warehouse {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _lock_file(name: str) -> Path:
    database = str(connection.settings_dict["NAME"])
    if database.startswith("file:") or database == ":memory:":
        return Path(settings.VAR_DIR) / f"analytics-warehouse-{name}.lock"
    return Path(f"{database}.analytics-warehouse-{name}.lock")


@contextmanager
def warehouse_lock(name: str, *, wait: bool) -> Iterator[None]:
    """Hold the lock named `name` for the block; without `wait`, raise WarehouseBusy at once
    when another process holds it."""
    if connection.vendor == "postgresql":
        key = _advisory_key(name)
        with connection.cursor() as cursor:
            if wait:
                cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            else:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
                if not cursor.fetchone()[0]:
                    raise WarehouseBusy(f"another process is writing the warehouse's {name}")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    path = _lock_file(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as error:
            raise WarehouseBusy(f"another process is writing the warehouse's {name}") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
