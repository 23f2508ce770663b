"""When a visitor's session ends: the one rule, used live by the web collector (its session
cookie) and in batch by compaction (for events that arrive without a session id: visitors
counted anonymously, whose id lasts one day, and apps that leave it to the server).

A session ends after `gap` without an event, or when a page arrives from a campaign other
than the session's own (a visitor who leaves and comes back through an advert is a new
visit, credited to that advert). Midnight does not end a session: a visit that crosses it
is one visit, counted on the day it started.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa

CAMPAIGN_FIELDS = ("utm_source", "utm_medium", "utm_campaign")


def campaign_key(source: str, medium: str, campaign: str) -> str:
    """The campaign a page came from, or "" for none (a plain visit keeps its session's)."""
    if not (source or medium or campaign):
        return ""
    return f"{source}|{medium}|{campaign}"


def starts_new_session(
    *, last_at: datetime | None, last_campaign: str, at: datetime, campaign: str, gap: timedelta
) -> bool:
    if last_at is None or at - last_at >= gap:
        return True
    return bool(campaign) and campaign != last_campaign


@dataclass(frozen=True)
class SessionState:
    session_id: str
    last_at: datetime
    campaign: str


def session_continue(
    state: SessionState | None, *, at: datetime, campaign: str, gap: timedelta, new_id: str
) -> SessionState:
    """The session an event at `at` belongs to, given the visitor's current one (or None)."""
    if state is None or starts_new_session(
        last_at=state.last_at, last_campaign=state.campaign, at=at, campaign=campaign, gap=gap
    ):
        return SessionState(session_id=new_id, last_at=at, campaign=campaign)
    return SessionState(session_id=state.session_id, last_at=max(at, state.last_at), campaign=state.campaign)


def sessions_assign(events: pa.Table, *, gap: timedelta) -> pa.Table:
    """`events` (the warehouse's EVENTS schema) with a session id given to every event that
    has none, by the rule above, per visitor in time order. The ids are derived from the
    visitor and the session's first event, so the same events always get the same ids.

    Given ids are kept, and an event without one continues the session of the visitor's
    event just before it when the rule says so, whether that session's id was given by the
    collector or by an earlier compaction: an app event that arrives late, or an event
    compacted after the rest of its day, joins the visit it was part of instead of
    counting as a visit of its own. (An event just *before* the first of a session that
    already has its id starts its own: ids once given are never changed.)"""
    session_ids = events.column("session_id").to_pylist()
    missing = {index for index, value in enumerate(session_ids) if not value}
    if not missing:
        return events
    visitors = events.column("visitor_id").to_pylist()
    times = events.column("occurred_at").to_pylist()
    event_ids = events.column("event_id").to_pylist()
    campaigns = [
        campaign_key(*values)
        for values in zip(*(events.column(name).to_pylist() for name in CAMPAIGN_FIELDS), strict=True)
    ]
    walked = {visitors[index] for index in missing}
    current: dict[str, SessionState] = {}
    for index in sorted(
        (index for index, visitor in enumerate(visitors) if visitor in walked),
        key=lambda i: (visitors[i], times[i], event_ids[i]),
    ):
        visitor = visitors[index]
        state = current.get(visitor)
        if index not in missing:
            given = session_ids[index]
            if state is not None and state.session_id == given:
                current[visitor] = SessionState(given, max(times[index], state.last_at), state.campaign)
            else:
                current[visitor] = SessionState(given, times[index], campaigns[index])
            continue
        seed = f"{visitor}|{times[index].isoformat()}|{event_ids[index]}"
        state = session_continue(
            state,
            at=times[index],
            campaign=campaigns[index],
            gap=gap,
            new_id="s-" + hashlib.sha256(seed.encode()).hexdigest()[:24],
        )
        current[visitor] = state
        session_ids[index] = state.session_id
    position = events.schema.get_field_index("session_id")
    return events.set_column(position, "session_id", pa.array(session_ids, type=pa.string()))
