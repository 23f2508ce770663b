"""Where events wait between collection and compaction (a backend family: base.py)."""

from __future__ import annotations

from shopstack.analytics.store.base import EventStore
from shopstack.core.backends import load_backend


def event_store() -> EventStore:
    """The store named by settings.ANALYTICS_EVENT_STORE, one instance per process."""
    store: EventStore = load_backend("ANALYTICS_EVENT_STORE")
    return store
