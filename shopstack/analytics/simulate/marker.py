"""SIMULATED.json at the warehouse root: which days hold simulated events, made by what.

The dashboards read it (`simulated_marker`) to show a banner over any chart that covers those
days; a BI tool reading the files finds it beside them. Simulated events can also be told
one by one: their event_id starts with SIM_PREFIX.
"""

from __future__ import annotations

from typing import Any

from shopstack.analytics.simulate.params import SIM_PREFIX
from shopstack.analytics.warehouse.day_files import file_delete, json_read, json_write_atomic

MARKER = "SIMULATED.json"
NOTICE = (
    "Browsing events on these days are simulated: the orders are real, the visits, page views, "
    "searches and carts leading up to them were generated (docs/analytics.md, 'Demo data')."
)


def simulated_marker(root: str) -> dict[str, Any] | None:
    """The marker of the warehouse at `root`, or None when nothing in it is simulated."""
    return json_read(root, MARKER)


def marker_write(root: str, document: dict[str, Any]) -> None:
    json_write_atomic(root, MARKER, {"notice": NOTICE, "event_id_prefix": SIM_PREFIX, **document})


def is_simulated(event_id: str) -> bool:
    return event_id.startswith(SIM_PREFIX)


def marker_delete(root: str) -> bool:
    return file_delete(root, MARKER)
