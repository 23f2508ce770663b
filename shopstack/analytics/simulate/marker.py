"""SIMULATED.json at the warehouse root: which days hold simulated events, made by what.

The dashboards read it (`simulated_marker`) to show a banner over any chart that covers those
days; a BI tool reading the files finds it beside them. Simulated events can also be told
one by one: their event_id starts with SIM_PREFIX.
"""

from __future__ import annotations

import json
from typing import Any

from shopstack.analytics.simulate.params import SIM_PREFIX
from shopstack.analytics.warehouse.files import warehouse

MARKER = "SIMULATED.json"
NOTICE = (
    "Browsing events on these days are simulated: the orders are real, the visits, page views, "
    "searches and carts leading up to them were generated (docs/analytics.md, 'Demo data')."
)


def simulated_marker(root: str) -> dict[str, Any] | None:
    """The marker of the warehouse at `root`, or None when nothing in it is simulated."""
    where = warehouse(root)
    path = f"{where.root}/{MARKER}"
    if not where.exists(path):
        return None
    found: dict[str, Any] = json.loads(where.read_bytes(path))
    return found


def marker_write(root: str, document: dict[str, Any]) -> None:
    where = warehouse(root)
    marked = {"notice": NOTICE, "event_id_prefix": SIM_PREFIX, **document}
    where.write_bytes(f"{where.root}/{MARKER}", json.dumps(marked, indent=2, sort_keys=True).encode())


def is_simulated(event_id: str) -> bool:
    return event_id.startswith(SIM_PREFIX)


def marker_delete(root: str) -> bool:
    where = warehouse(root)
    return where.delete(f"{where.root}/{MARKER}")
