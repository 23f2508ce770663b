"""Compaction: the events waiting in the event store become one Parquet file per UTC day.

For each day the store holds: read the day's events, merge them into the day's file (a
late event for an old day is added to what is there, replacing only an order_placed
without its visit by the visit's copy), keep the first received of each event id (a copy
with a visitor before those without; ids the neighbouring days' files already hold are
left out: an app's resent event may be corrected to the other side of midnight), give a
session to events that have none, sort by (occurred_at, event_id), write the file
atomically (files.py), and only then delete from the store exactly the rows that were read.
A worker killed anywhere in between leaves either the old file and every event still in
the store, or the new file and the events still in the store; the next run merges them
again, and since repeated ids are kept once and writing is deterministic, it ends with the
same bytes as a run that was never interrupted. Events therefore stay in the store only
until their day is compacted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

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


def events_merge(
    existing: pa.Table | None, incoming: pa.Table, *, gap: timedelta, kept_elsewhere: pa.Array | None = None
) -> pa.Table:
    """The day's events: `existing` (the file) then `incoming` (the store, in the order it
    received them), each event id once as first received, sessions given, sorted. A copy
    with a visitor beats the copies without one, however late: `order_placed` is written
    by the outbox without the visit and by the checkout's request with it (order_events.py),
    and the visit is what ties the order to its session. Incoming events whose id is in
    `kept_elsewhere` (held by a neighbouring day's file) are left out."""
    incoming = conform(incoming, EVENTS)
    if kept_elsewhere is not None and len(kept_elsewhere) and incoming.num_rows:
        incoming = incoming.filter(pc.invert(pc.is_in(incoming.column("event_id"), value_set=kept_elsewhere)))
    parts = ([conform(existing, EVENTS)] if existing is not None else []) + [incoming]
    combined = pa.concat_tables(parts)
    rows = combined.num_rows
    # Rank: arrival, after every copy with a visitor when it has none (rank - rows is then
    # its arrival again), so the lowest rank of an id is the copy to keep.
    without_visit = pc.equal(pc.fill_null(combined.column("visitor_id"), ""), "")
    arrival = pa.array(range(rows), type=pa.int64())
    rank = pc.add(arrival, pc.multiply(pc.cast(without_visit, pa.int64()), rows))
    combined = combined.append_column(_ORDER, rank)
    firsts = combined.group_by("event_id", use_threads=False).aggregate([(_ORDER, "min")])
    best = firsts.column(f"{_ORDER}_min")
    kept = pc.if_else(pc.greater_equal(best, rows), pc.subtract(best, rows), best)
    unique = combined.take(pc.take(kept, pc.sort_indices(kept))).drop_columns([_ORDER])
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
    merged = events_merge(
        existing, batch.events, gap=session_gap(), kept_elsewhere=_neighbours_ids(where, day, batch.events)
    )
    added = merged.num_rows - before
    # Unchanged unless events were added or a copy with the visit replaced one without.
    written = existing is None or rebuild or bool(added) or not merged.equals(existing)
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


def _neighbours_ids(where: Warehouse, day: str, incoming: pa.Table) -> pa.Array | None:
    """The ids of the files of the days before and after `day`: a resent app event whose
    clock correction differs between its attempts (ingest.py) may have its copies on either
    side of midnight, and the one compacted first is the one kept."""
    if incoming.num_rows == 0:
        return None
    found = []
    for offset in (-1, 1):
        other = (date.fromisoformat(day) + timedelta(days=offset)).isoformat()
        table = where.read(events_path(where.root, other), EVENTS, columns=["event_id"])
        if table is not None:
            found.append(table.column("event_id").combine_chunks())
    return pa.concat_arrays(found) if found else None


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
