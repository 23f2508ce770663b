"""The two ways to simulate: the demo shop's real orders, or a made-up shop at benchmark
scale. The management command `analytics_simulate` calls these."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from shopstack.analytics.simulate.params import SimulationParams
from shopstack.analytics.simulate.plan import rng_for
from shopstack.analytics.simulate.run import SimulationError, SimulationReport, simulate
from shopstack.analytics.simulate.shop import HISTORY_SOURCES, shop_history
from shopstack.analytics.simulate.synthetic import facts_write, synthetic_history
from shopstack.analytics.warehouse.files import warehouse

# Events a visit makes on average with the default shares (measured on the simulator's own
# output): used only to decide how many made-up orders fit an event budget.
EVENTS_PER_BROWSING_VISIT = 7.0
EVENTS_PER_BOT_VISIT = 24.0
EVENTS_PER_ORDERING_VISIT = 11.0
EVENTS_PER_ORDER_LINE = 2.9


def warehouse_has_events(root: str) -> bool:
    return bool(warehouse(root).event_days())


def demo_simulate(
    root: str, *, seed: int, params: SimulationParams, replace: bool = False, progress: bool = False
) -> SimulationReport:
    """Browsing for the shop's imported orders (HISTORY_SOURCES), into the warehouse at `root`."""
    history = shop_history(HISTORY_SOURCES)
    return simulate(history, root, params=params, seed=seed, mode="demo", replace=replace, progress=progress)


def scale_simulate(
    root: str,
    *,
    events: int,
    orders: int,
    seed: int,
    params: SimulationParams,
    products: int = 5_000,
    customers: int | None = None,
    days: int = 365,
    replace: bool = False,
    progress: bool = False,
) -> SimulationReport:
    """A made-up shop with `orders` orders written as facts and dimensions, and exactly
    `events` events. Only as many orders have a visit as the events can hold at
    `params.sessions_per_order` visits per order; the others were placed without one (by
    phone, say), and the report says how many."""
    errors = {}
    if orders < 1:
        errors["orders"] = "must be at least 1"
    if events < 1:
        errors["events"] = "must be at least 1"
    if products < 10:
        errors["products"] = "must be at least 10"
    if not 1 <= days <= 3_650:
        errors["days"] = "must be between 1 and 3,650"
    if errors:
        raise SimulationError(errors)
    if warehouse_has_events(root) and not replace:
        raise SimulationError({"root": f"the warehouse at {root} already holds events; pass --replace"})
    history = synthetic_history(
        orders,
        products=products,
        customers=customers or max(orders // 4, 1),
        params=params,
        seed=seed,
        days=days,
    )
    mean_lines = float(history.orders.line_count.mean())
    per_order = (
        EVENTS_PER_ORDERING_VISIT
        + EVENTS_PER_ORDER_LINE * mean_lines
        + (params.sessions_per_order - 1) * EVENTS_PER_BROWSING_VISIT
        + params.sessions_per_order * params.bot_share * EVENTS_PER_BOT_VISIT
    )
    fitting = min(orders, max(int(events / per_order), 1))
    tracked = np.zeros(orders, dtype=bool)
    tracked[rng_for(seed, 13).choice(orders, fitting, replace=False)] = True
    counts = facts_write(root, history, seed)
    report = simulate(
        history,
        root,
        params=params,
        seed=seed,
        mode="scale",
        tracked=tracked,
        events_total=events,
        replace=replace,
        progress=progress,
        extra={"facts_orders": counts["facts/orders"], "facts_order_lines": counts["facts/order_lines"]},
    )
    return report


def same_place(one: str, other: str) -> bool:
    if "://" in one or "://" in other:
        return one.rstrip("/") == other.rstrip("/")
    return Path(one).resolve() == Path(other).resolve()
