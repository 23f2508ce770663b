"""Day by day: plan the day's visits, make their events, write each finished day's file.

Only a few days are held at a time, never the whole run: a visit that ends with an order
early in the morning may begin the evening before, so a day's file is written once the next
day's visits are made.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tqdm import tqdm

from shopstack.analytics.simulate.events import Catalogue, DayEvents, visit_events
from shopstack.analytics.simulate.history import History
from shopstack.analytics.simulate.marker import marker_delete, marker_write
from shopstack.analytics.simulate.params import DAY_US, GENERATOR_VERSION, SIM_PREFIX, SimulationParams
from shopstack.analytics.simulate.plan import ORDERED, Plan, Visits, day_of_number, rng_for
from shopstack.analytics.simulate.queries import queries_build
from shopstack.analytics.simulate.table import KEY, ROW, day_table
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.layout import EVENTS, events_path

ID_DIGITS = 9  # events a day, at most a billion
WRITES_AHEAD = 2


class SimulationError(Exception):
    """Bad input: `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass
class SimulationReport:
    mode: str
    seed: int
    first_day: str = ""
    last_day: str = ""
    days: int = 0
    events: int = 0
    sessions: int = 0  # human visits
    bot_sessions: int = 0
    orders: int = 0  # order_placed events
    orders_in_history: int = 0
    deleted_days: int = 0
    elapsed: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def conversion_rate(self) -> float:
        return self.orders / self.sessions if self.sessions else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "seed": self.seed,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "days": self.days,
            "events": self.events,
            "sessions": self.sessions,
            "bot_sessions": self.bot_sessions,
            "orders_with_sessions": self.orders,
            "orders_in_history": self.orders_in_history,
            **self.extra,
        }

    def as_text(self) -> str:
        lines = [
            f"Simulated days:       {self.first_day} to {self.last_day} ({self.days} files)",
            f"Events:               {self.events:,}",
            f"Visits:               {self.sessions:,} by people, {self.bot_sessions:,} by bots",
            f"Orders with a visit:  {self.orders:,} of {self.orders_in_history:,} "
            f"(conversion rate {self.conversion_rate:.2%})",
        ]
        lines += [f"{name + ':':<22}{value}" for name, value in self.extra.items()]
        if self.deleted_days:
            lines.append(f"Replaced:             {self.deleted_days} days of earlier simulated events")
        lines.append(f"Elapsed:              {self.elapsed:.1f} s")
        return "\n".join(lines)


def simulated_only(root: str, day: str) -> bool:
    where = warehouse(root)
    table = where.read(events_path(where.root, day), EVENTS, columns=["event_id"])
    ids = table.column("event_id") if table is not None else pa.array([], pa.string())
    return bool(pc.all(pc.starts_with(ids, SIM_PREFIX)).as_py()) if len(ids) else True


def clear_simulated(root: str) -> int:
    """Delete every day file that holds only simulated events, and the marker."""
    deleted = 0
    where = warehouse(root)
    for day in where.event_days():
        if simulated_only(root, day):
            where.event_day_delete(day)
            deleted += 1
    marker_delete(root)
    return deleted


def _check_inputs(history: History, params: SimulationParams, root: str, replace: bool) -> None:
    errors = params.errors()
    if history.catalog.size == 0:
        errors["catalog"] = "the shop has no products to simulate visits to"
    if history.orders.size == 0:
        errors["orders"] = "there are no orders to simulate the visits of"
    if errors:
        raise SimulationError(errors)
    existing = warehouse(root).event_days()
    if existing and not replace:
        raise SimulationError(
            {
                "root": f"the warehouse at {root} already holds events ({len(existing)} days); "
                "pass --replace to replace simulated ones"
            }
        )


def event_ids(day: str, count: int) -> pa.Array:
    """sim-YYYY-MM-DD-000000000, -000000001, ...: built as bytes, a fixed width each, so that
    the file's order by (occurred_at, event_id) is the order they were numbered in."""
    prefix = np.frombuffer(f"{SIM_PREFIX}{day}-".encode(), dtype=np.uint8)
    width = len(prefix) + ID_DIGITS
    digits = (np.arange(count, dtype=np.int64)[:, None] // 10 ** np.arange(ID_DIGITS - 1, -1, -1)) % 10
    data = np.empty((count, width), dtype=np.uint8)
    data[:, : len(prefix)] = prefix
    data[:, len(prefix) :] = digits + ord("0")
    offsets = np.arange(count + 1, dtype=np.int32) * width
    return pa.Array.from_buffers(
        pa.string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data.tobytes())]
    )


def _table_finish(day: str, parts: list[pa.Table]) -> pa.Table:
    """The day's events in the file's order, (occurred_at, event_id), with their ids."""
    table = pa.concat_tables(parts).unify_dictionaries().combine_chunks()
    table = table.sort_by([("occurred_at", "ascending"), (ROW, "ascending"), (KEY, "ascending")])
    position = table.schema.get_field_index("event_id")
    table = table.set_column(position, pa.field("event_id", pa.string()), event_ids(day, table.num_rows))
    return table.drop_columns([ROW, KEY])


def _day_write(root: str, day: str, parts: list[pa.Table]) -> int:
    # The warehouse's one writer (files.py), as compaction writes a day: the same rows give
    # the same bytes, and a run killed mid-write leaves a temporary file compaction clears.
    # Not synced file by file: a simulation cut short is run again (the marker says so).
    where = warehouse(root)
    return where.write(events_path(where.root, day), EVENTS, [_table_finish(day, parts)], durable=False)


def _trim(events: DayEvents, visits: Visits, budget: int, rng: np.random.Generator) -> DayEvents:
    """Keep `budget` events: every ordering visit whole, then other visits in a random order,
    the last of them cut short (a visitor who left early)."""
    row = events.columns["row"]
    per_visit = np.bincount(row, minlength=visits.size)
    ordering = visits.depth == ORDERED
    priority = np.where(ordering, -1.0, rng.random(visits.size))
    order = np.argsort(priority, kind="stable")
    before = np.cumsum(per_visit[order]) - per_visit[order]
    allowed = np.empty(visits.size, dtype=np.int64)
    allowed[order] = np.clip(budget - before, 0, per_visit[order])
    allowed[ordering] = per_visit[ordering]
    starts = np.r_[0, np.cumsum(per_visit)[:-1]]
    keep = (np.arange(len(row)) - starts[row]) < allowed[row]
    return DayEvents(
        columns={name: values[keep] for name, values in events.columns.items()},
        time=events.time[keep],
        engaged_ms=events.engaged_ms[keep],
    )


def _day_batches(
    plan: Plan, day_number: int, catalogue: Catalogue, params: SimulationParams, budget: int | None
) -> Iterator[tuple[Visits, DayEvents, np.random.Generator]]:
    """The day's visits and events; with a budget, exactly `budget` events."""
    stream = 0
    visits = plan.visits(day_number)
    while True:
        rng = rng_for(plan.seed, 3, day_number, stream)
        events = visit_events(visits, catalogue, params, rng)
        if budget is None:
            yield visits, events, rng
            return
        if events.size >= budget:
            yield visits, _trim(events, visits, budget, rng), rng
            return
        yield visits, events, rng
        budget -= events.size
        others = visits.depth != ORDERED
        per_visit = (
            max(np.bincount(events.columns["row"], minlength=visits.size)[others].mean(), 1.0)
            if others.any()
            else 8.0
        )
        wanted = math.ceil(budget / per_visit * 1.1) + 5
        bots = round(wanted * params.bot_share / (1 + params.bot_share))
        stream += 1
        visits = plan.visits(day_number, anonymous=wanted - bots, bots=bots, stream=stream)


def simulate(
    history: History,
    root: str,
    *,
    params: SimulationParams,
    seed: int,
    mode: str = "demo",
    tracked: np.ndarray | None = None,
    events_total: int | None = None,
    replace: bool = False,
    progress: bool = False,
    extra: dict[str, Any] | None = None,
) -> SimulationReport:
    """Simulate the browsing of `history` into the warehouse at `root`; with `events_total`,
    exactly that many events (the benchmark)."""
    started = time.perf_counter()
    _check_inputs(history, params, root, replace)
    report = SimulationReport(mode=mode, seed=seed, orders_in_history=history.orders.size, extra=extra or {})
    if replace:
        report.deleted_days = clear_simulated(root)
        real = set(warehouse(root).event_days())
    else:
        real = set()
    popularity = np.bincount(history.orders.line_product, minlength=history.catalog.size) + 1.0
    catalogue = Catalogue(history, queries_build(history.catalog, popularity))
    plan = Plan(history, params, seed, tracked)
    days = list(plan.day_numbers)
    # The day before the first may receive the start of an early order's visit.
    planned = [day_of_number(d).isoformat() for d in range(days[0] - 1, days[-1] + 1)] if days else []
    if real & set(planned):
        raise SimulationError(
            {
                "root": "days to simulate already hold recorded events: "
                + ", ".join(sorted(real & set(planned)))
            }
        )
    # Labelled before the first file is written: a run that stops half way leaves marked days.
    report.first_day, report.last_day = (planned[0], planned[-1]) if planned else ("", "")
    _marker(root, report, params, complete=False, days=planned)
    weights = plan.day_weight
    remaining_weight = np.cumsum(weights[::-1])[::-1]
    remaining = events_total
    pending: dict[int, list[pa.Table]] = defaultdict(list)
    written: list[str] = []
    # Finished days are sorted and written in a second thread (pyarrow lets go of the GIL)
    # while the next days are made; at most WRITES_AHEAD of them wait, to bound memory.
    writing: deque[Future[int]] = deque()

    def wait(keep: int) -> None:
        while len(writing) > keep:
            report.events += writing.popleft().result()

    def flush(before: int) -> None:
        for number in sorted(d for d in pending if d < before):
            day = day_of_number(number).isoformat()
            writing.append(writer.submit(_day_write, root, day, pending.pop(number)))
            written.append(day)
            wait(keep=WRITES_AHEAD)

    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulate-write") as writer,
        tqdm(
            total=len(days), desc="Simulating days", unit="day", disable=not progress, dynamic_ncols=True
        ) as bar,
    ):
        for position, number in enumerate(days):
            budget = None
            if remaining is not None:
                share = (
                    weights[position] / remaining_weight[position] if remaining_weight[position] > 0 else 1.0
                )
                budget = remaining if position == len(days) - 1 else round(remaining * share)
            for visits, events, rng in _day_batches(plan, number, catalogue, params, budget):
                table = day_table(day_of_number(number), visits, events, catalogue, rng)
                seen = np.unique(events.columns["row"])
                report.sessions += int((~visits.is_bot[seen]).sum())
                report.bot_sessions += int(visits.is_bot[seen].sum())
                report.orders += int((visits.order[seen] >= 0).sum())
                if remaining is not None:
                    remaining -= events.size
                event_day = events.time // DAY_US
                for other in np.unique(event_day):
                    pending[int(other)].append(table.filter(pa.array(event_day == other)))
            flush(before=number)
            bar.update(1)
        flush(before=days[-1] + 2 if days else 0)
        wait(keep=0)
    report.sessions -= _continued_sessions(plan)
    if remaining not in (None, 0):
        raise SimulationError(
            {"events": f"could not fit the orders' visits in the events asked for ({remaining:+,} left)"}
        )
    report.first_day, report.last_day = (written[0], written[-1]) if written else ("", "")
    report.days = len(written)
    report.elapsed = time.perf_counter() - started
    _marker(root, report, params, complete=True, days=written)
    return report


def _marker(
    root: str, report: SimulationReport, params: SimulationParams, *, complete: bool, days: list[str]
) -> None:
    marker_write(
        root,
        {
            "generator": "shopstack.analytics.simulate",
            "generator_version": GENERATOR_VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "complete": complete,
            **report.as_dict(),
            "simulated_days": days,
            "params": params.as_dict(),
        },
    )


def _continued_sessions(plan: Plan) -> int:
    """Orders placed in a visit that an earlier order began: one session, counted once."""
    return int(plan.goes_on.sum())
