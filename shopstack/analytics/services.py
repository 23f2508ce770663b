"""Recording events: the one door every producer (views, the events API, outbox handlers)
goes through."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from django.conf import settings

from shopstack.analytics.buffer import EventBuffer
from shopstack.analytics.config import collect_settings
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.store import event_store


@cache
def _buffer() -> EventBuffer:
    return EventBuffer(
        lambda events: event_store().append(events), flush_seconds=settings.ANALYTICS_FLUSH_SECONDS
    )


def event_add(event: AnalyticsEvent) -> None:
    """Record a visitor's event without waiting: it reaches the store within
    ANALYTICS_FLUSH_SECONDS (0 writes through, as tests do)."""
    events_add([event])


def events_add(events: list[AnalyticsEvent]) -> None:
    """Record a request's events without waiting, handed over at once (event_add)."""
    if collect_settings().flush_seconds <= 0:
        event_store().append(events)
    else:
        _buffer().add_all(events)


def events_append(events: Sequence[AnalyticsEvent]) -> None:
    """Store events now, all or none (the events API and outbox handlers, which must know
    that they were kept before they answer)."""
    event_store().append(events)


def event_store_answers() -> bool:
    """Whether the event store answers now (the readiness probe asks: apps.py registers it)."""
    return event_store().ping()


def events_flush() -> int:
    """Write this process's buffered events now (shutdown, tests, the benchmark)."""
    return _buffer().flush()
