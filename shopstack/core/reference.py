"""Process-local copies of reference rows that every checkout reads and staff rarely change.

Tax rates, the shop's pricing settings and shipping methods are read by every priced
request; through the ORM that is several queries and most of a millisecond of Python each.
A `ReferenceCache` keeps what its loader returned and checks one small row per use, the
family's `ReferenceStamp`: saving or deleting any model of the family writes a new random
token in the same transaction, so every process (web workers, the task worker) sees the
change on its next read after commit. Random tokens rather than a counter, because a
rolled-back change (a test's transaction, a failed admin save) would otherwise let a
counter come back to a value some process already holds with other rows.

Writes that send no signals (queryset.update, bulk_create, migrations) must call
`reference_changed`; `max_age` bounds the damage if one is missed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, models
from django.db.models.signals import post_delete, post_save

from shopstack.core.models import ReferenceStamp

_STAMP_SQL = f"SELECT token FROM {ReferenceStamp._meta.db_table} WHERE name = %s"


def reference_stamp(name: str) -> str:
    """The family's current token ("" before its first change). Raw SQL: this runs on
    every use of every cache, and the ORM would cost more than the rows it saves."""
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL, [name])
        row = cursor.fetchone()
    return row[0] if row else ""


def reference_changed(name: str) -> None:
    """Announce that the family's rows changed (in the caller's transaction, if any)."""
    token = uuid.uuid4().hex
    if not ReferenceStamp.objects.filter(name=name).update(token=token):
        ReferenceStamp.objects.update_or_create(name=name, defaults={"token": token})


_caches: list[ReferenceCache[Any]] = []


def reference_caches_clear() -> None:
    """Forget every copy this process holds. For what changes rows without signals and
    without renewing stamps: `flush` (through post_migrate) and each test's start."""
    for cache in _caches:
        cache.clear()


class ReferenceCache[T]:
    """`get()` returns what `load()` returned under the family's current token, loading
    again when the token moved or the copy is older than `max_age` seconds of `clock`."""

    def __init__(
        self,
        name: str,
        load: Callable[[], T],
        *,
        max_age: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.load, self.max_age, self.clock = name, load, max_age, clock
        self._held: tuple[str, float, T] | None = None
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self) -> T:
        token = reference_stamp(self.name)
        held = self._held
        if held is not None and held[0] == token and self.clock() - held[1] < self.max_age:
            return held[2]
        with self._lock:
            # The token is read before the rows: a change committed in between makes the
            # next use reload, never keeps new rows under an old token as if current.
            value = self.load()
            self._held = (token, self.clock(), value)
        return value

    def clear(self) -> None:
        self._held = None


def track_reference_models(name: str, models_: Iterable[type[models.Model]]) -> None:
    """Change the family's stamp whenever one of these models is saved or deleted."""

    def changed(sender: type[models.Model], **kwargs: Any) -> None:
        reference_changed(name)

    for model in models_:
        uid = f"reference:{name}:{model._meta.label}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":save")
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ":delete")
