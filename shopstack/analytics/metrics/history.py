"""Events before a period: the look-back behind returning visitors and attribution."""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine


def people_events_between(engine: WarehouseEngine, first: datetime, after: datetime) -> ir.Table:
    """Events of people (not bots) in [first, after) UTC, with no filters: a visitor's
    earlier visits count whatever device or country they came from."""
    events = engine.table("events")
    return events.filter(
        events.day >= first.date(),
        events.day <= after.date(),
        events.occurred_at >= ibis.literal(first),
        events.occurred_at < ibis.literal(after),
        ~events.is_bot,
    )
