"""The collector's write path: a request hands its events to this process's buffer and
returns; a writer thread appends them to the event store in batches.

A request never waits on the store (let alone the warehouse): handing over is a list
append under a lock. The price is a window: events still in the buffer when a process is
killed with SIGKILL are lost (at most ANALYTICS_FLUSH_SECONDS of one process's browsing;
a normal shutdown flushes). Events that must not be lost (orders, payments) come from the
outbox and are appended directly, not through this buffer.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable, Sequence

from shopstack.analytics.schema import AnalyticsEvent

logger = logging.getLogger(__name__)

Sink = Callable[[list[AnalyticsEvent]], None]


class EventBuffer:
    def __init__(self, sink: Sink, *, flush_seconds: float = 0.5, max_events: int = 500) -> None:
        self._sink = sink
        self._flush_seconds = flush_seconds
        self._max_events = max_events
        self._events: list[AnalyticsEvent] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._writer: threading.Thread | None = None
        self._pid = 0
        self.dropped = 0

    def add(self, event: AnalyticsEvent) -> None:
        self.add_all((event,))

    def add_all(self, events: Sequence[AnalyticsEvent]) -> None:
        """Hand over a request's events (a page's view and what it was about) in one go."""
        with self._lock:
            self._events.extend(events)
            full = len(self._events) >= self._max_events
        if self._pid != os.getpid():
            self._start()
        if full:
            self._wake.set()

    def flush(self) -> int:
        """Append everything buffered now; returns how many events were written."""
        with self._lock:
            events, self._events = self._events, []
        if not events:
            return 0
        try:
            self._sink(events)
        except Exception:
            # The store is down: keep the events for the next attempt, within a bound, so
            # a long outage costs memory only up to it.
            logger.exception("analytics: could not append %d events", len(events))
            with self._lock:
                room = max(0, self._max_events * 20 - len(self._events))
                self.dropped += max(0, len(events) - room)
                self._events[:0] = events[:room]
            return 0
        return len(events)

    def _start(self) -> None:
        # Threads do not survive fork: each worker process starts its own writer.
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._writer = threading.Thread(target=self._run, name="analytics-writer", daemon=True)
            self._writer.start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            self.flush()
