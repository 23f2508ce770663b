"""Who came: visitors, sessions, bounce, time on site (the overview's traffic half)."""

from __future__ import annotations

from dataclasses import dataclass

import ibis

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.scope import visitor_events

PAGE_KINDS = ("page_view", "product_view", "list_view", "search")


@dataclass(frozen=True)
class Traffic:
    visitors: int
    sessions: int
    bounced_sessions: int  # sessions with one page
    engaged_ms: int  # time pages were visible, summed (from the beacon)
    bot_events: int

    @property
    def bounce_rate(self) -> float | None:
        return self.bounced_sessions / self.sessions if self.sessions else None

    @property
    def time_per_session_ms(self) -> float | None:
        return self.engaged_ms / self.sessions if self.sessions else None


def traffic(engine: WarehouseEngine, period: Period) -> Traffic:
    events = visitor_events(engine, period)
    pages = events.filter(events.kind == "page_view")
    per_session = pages.group_by("session_id").aggregate(pages=pages.count())
    engagement = events.filter(events.kind == "page_engagement")
    row = engine.rows(
        ibis.union(
            pages.aggregate(name=ibis.literal("visitors"), value=pages.visitor_id.nunique()),
            pages.aggregate(name=ibis.literal("sessions"), value=pages.session_id.nunique()),
            per_session.aggregate(
                name=ibis.literal("bounced"), value=(per_session.pages == 1).sum().cast("int64")
            ),
            engagement.aggregate(
                name=ibis.literal("engaged"), value=engagement.engaged_ms.sum().cast("int64")
            ),
        )
    )
    values = {item["name"]: int(item["value"] or 0) for item in row}
    return Traffic(
        visitors=values.get("visitors", 0),
        sessions=values.get("sessions", 0),
        bounced_sessions=values.get("bounced", 0),
        engaged_ms=values.get("engaged", 0),
        bot_events=_bot_events(engine, period),
    )


def _bot_events(engine: WarehouseEngine, period: Period) -> int:
    events = engine.table("events")
    first_day, last_day = period.utc_days()
    bots = events.filter(
        events.day >= first_day, events.day <= last_day, period.contains(events.occurred_at), events.is_bot
    )
    return int(engine.scalar(bots.count()) or 0)
