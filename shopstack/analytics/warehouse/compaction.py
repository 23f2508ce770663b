"""Compaction: the events waiting in the event store become one Parquet file per UTC day.

For each day the store holds: read the day's events, merge them into the day's file (a
late event for an old day is added to what is there, never replacing it), keep the first
received of each event id, give a session to events that have none, sort by
(occurred_at, event_id), write the file atomically (files.py), and only then delete from
the store exactly the rows that were read. A worker killed anywhere in between leaves
either the old file and every event still in the store, or the new file and the events
still in the store; the next run merges them again, and since repeated ids are kept once
and writing is deterministic, it ends with the same bytes as a run that was never
interrupted. Events therefore stay in the store only until their day is compacted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings

from shopstack.analytics.sessions import sessions_assign
from shopstack.analytics.store import event_store
from shopstack.analytics.store.base import EventStore
from shopstack.analytics.warehouse.files import Warehouse, conform, warehouse
from shopstack.analytics.warehouse.layout import EVENTS, events_path
from shopstack.analytics.warehouse.lock import warehouse_lock
from shopstack.analytics.warehouse.state import EVENTS_COMPACTED, state_note
from shopstack.core.faults import fault_point

_ORDER = "__arrival"


@dataclass(frozen=True)
class DayCompacted:
    day: str
    read: int  # events read from the store
    added: int  # of those, new to the day's file
    total: int  # events in the day's file now
    deleted: int  # rows deleted from the store
    written: bool  # False: nothing new, the file was left as it was


@dataclass
class CompactionReport:
    days: list[DayCompacted] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(day.added for day in self.days)

    @property
    def read(self) -> int:
        return sum(day.read for day in self.days)


def session_gap() -> timedelta:
    return timedelta(minutes=settings.ANALYTICS_SESSION_MINUTES)


def events_merge(existing: pa.Table | None, incoming: pa.Table, *, gap: timedelta) -> pa.Table:
    """The day's events: `existing` (the file) then `incoming` (the store, in the order it
    received them), each event id once as first received, sessions given, sorted."""
    parts = ([conform(existing, EVENTS)] if existing is not None else []) + [conform(incoming, EVENTS)]
    combined = pa.concat_tables(parts)
    combined = combined.append_column(_ORDER, pa.array(range(combined.num_rows), type=pa.int64()))
    firsts = combined.group_by("event_id", use_threads=False).aggregate([(_ORDER, "min")])
    arrival = pc.sort_indices(firsts.column(f"{_ORDER}_min"))
    unique = combined.take(pc.take(firsts.column(f"{_ORDER}_min"), arrival)).drop_columns([_ORDER])
    unique = sessions_assign(unique, gap=gap)
    return unique.sort_by([("occurred_at", "ascending"), ("event_id", "ascending")]).combine_chunks()


def day_compact(store: EventStore, where: Warehouse, day: str, *, rebuild: bool = False) -> DayCompacted:
    """Compact the store's events of `day` into its file; with `rebuild`, write the file
    again even when the store has nothing new for it (to repair it or bring it up to the
    current layout)."""
    path = events_path(where.root, day)
    where.remove_temporary(path.rsplit("/", 1)[0])
    batch = store.read_day(day)
    existing = where.read(path, EVENTS)
    before = 0 if existing is None else existing.num_rows
    merged = events_merge(existing, batch.events, gap=session_gap())
    added = merged.num_rows - before
    written = bool(added) or existing is None or rebuild
    if written and merged.num_rows:
        where.write(path, EVENTS, [merged])
    fault_point("analytics_compaction_before_delete")
    deleted = store.delete(batch)
    return DayCompacted(
        day=day,
        read=batch.events.num_rows,
        added=added,
        total=merged.num_rows,
        deleted=deleted,
        written=written,
    )


def events_compact(
    *,
    day: str | None = None,
    rebuild: bool = False,
    wait: bool = True,
    on_day: Callable[[DayCompacted], None] | None = None,
    on_days: Callable[[list[str]], None] | None = None,
) -> CompactionReport:
    """Compact every day waiting in the event store (or only `day`). Holds the warehouse's
    events lock; without `wait`, raises WarehouseBusy if another compaction holds it."""
    report = CompactionReport()
    store = event_store()
    where = warehouse()
    with warehouse_lock("events", wait=wait):
        waiting = store.days()
        days = [day] if day is not None else waiting
        if on_days is not None:
            on_days(days)
        for each in days:
            if each not in waiting and not (rebuild and where.exists(events_path(where.root, each))):
                continue
            compacted = day_compact(store, where, each, rebuild=rebuild)
            report.days.append(compacted)
            if on_day is not None:
                on_day(compacted)
        state_note(where, EVENTS_COMPACTED)
    return report
