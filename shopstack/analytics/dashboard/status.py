"""What surrounds every dashboard: how fresh the warehouse is (last compaction, events
waiting), whether the period covers simulated demo data, and the choices of the picker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

import pycountry

from shopstack.analytics.metrics.period import Period
from shopstack.analytics.simulate.marker import simulated_marker
from shopstack.analytics.store import event_store
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.state import state_read
from shopstack.catalog.selectors import category_tree


@dataclass(frozen=True)
class Freshness:
    events_compacted_at: datetime | None
    tables_rebuilt_at: datetime | None
    waiting: int | None  # events in the store, None when the store did not answer


def freshness() -> Freshness:
    state = state_read(warehouse())
    try:
        waiting: int | None = event_store().count()
    except Exception:  # a store that does not answer must not take the page down
        waiting = None
    return Freshness(state.events_compacted_at, state.tables_rebuilt_at, waiting)


@dataclass(frozen=True)
class Simulated:
    first_day: date
    last_day: date
    notice: str


def simulated_days() -> Simulated | None:
    """The simulated days of the demo data, when the warehouse holds any."""
    marker = simulated_marker(warehouse().root)
    if not marker:
        return None
    days = sorted(str(day) for day in marker.get("simulated_days") or ())
    try:
        first = date.fromisoformat(str(marker.get("first_day") or days[0]))
        last = date.fromisoformat(str(marker.get("last_day") or days[-1]))
    except (IndexError, TypeError, ValueError):
        return None
    return Simulated(first, last, str(marker.get("notice", "")))


def overlaps(simulated: Simulated | None, *periods: Period | None) -> bool:
    return simulated is not None and any(
        period is not None and period.start <= simulated.last_day and period.end >= simulated.first_day
        for period in periods
    )


def simulated_range(simulated: Simulated) -> dict[str, str]:
    """The last 28 simulated days, for an empty dashboard to offer."""
    start = max(simulated.first_day, simulated.last_day - timedelta(days=27))
    return {"start": start.isoformat(), "end": simulated.last_day.isoformat()}


@cache
def country_choices() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1]))


def category_choices() -> list[tuple[int, str]]:
    """Top-level categories and their children, indented, for the category filter."""
    choices: list[tuple[int, str]] = []
    for top, children in category_tree():
        choices.append((top.pk, top.name))
        choices.extend((child.pk, f"— {child.name}") for child in children)
    return choices
