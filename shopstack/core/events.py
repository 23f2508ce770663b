"""Domain events through the outbox.

A service announces what happened with `event_record(...)` inside its transaction. After
commit the `outbox_dispatch` task hands pending events, in order, to the handlers that
contexts subscribed in their `handlers.py` (loaded by AppConfig.ready). A handler that
fails leaves the event pending for the next dispatch; handlers must be idempotent.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from shopstack.core.enqueue import enqueued_in_transaction
from shopstack.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]


def subscribe(name: str, handler: Handler) -> None:
    """Call `handler` for every event called `name` (once per process, from AppConfig.ready)."""
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def event_record(
    *, name: str, aggregate_type: str, aggregate_id: object, payload: dict[str, Any]
) -> OutboxEvent:
    """Write an event in the caller's transaction; dispatch is scheduled for after commit."""
    event = OutboxEvent.objects.create(
        name=name, aggregate_type=aggregate_type, aggregate_id=str(aggregate_id), payload=payload
    )
    _dispatch_once()
    return event


def events_record(events: list[tuple[str, str, object, dict[str, Any]]]) -> list[OutboxEvent]:
    """Several events, as (name, aggregate_type, aggregate_id, payload), written in one
    statement in the caller's transaction, in this order."""
    rows = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(name=name, aggregate_type=kind, aggregate_id=str(aggregate_id), payload=payload)
            for name, kind, aggregate_id, payload in events
        ]
    )
    if rows:
        _dispatch_once()
    return rows


def _dispatch_queued() -> None:
    """Marks a transaction that already holds its dispatch task (see `_dispatch_once`)."""


def _dispatch_once() -> None:
    """One dispatch task per transaction, however many events it writes: the task sends
    every pending event. Where the task queue is a table of this database, the task row is
    written in the transaction itself (see core/enqueue.py); else it is queued on commit.
    Either way a marker sits in the transaction's commit callbacks; a rolled-back savepoint
    drops its marker (and its task row), so a later event in the outer transaction
    schedules its own."""
    from shopstack.core.tasks import outbox_dispatch

    connection = transaction.get_connection()
    if any(entry[1] in (_schedule_dispatch, _dispatch_queued) for entry in connection.run_on_commit):
        return
    if enqueued_in_transaction(outbox_dispatch):
        outbox_dispatch.enqueue()
        transaction.on_commit(_dispatch_queued)
    else:
        transaction.on_commit(_schedule_dispatch)


def _schedule_dispatch(retry_after: int | None = None) -> None:
    from shopstack.core.tasks import outbox_dispatch

    if retry_after is None:
        outbox_dispatch.enqueue()
    elif not outbox_dispatch.get_backend().supports_defer:
        return  # e.g. the immediate backend of tests: the next event or sweep retries it
    else:
        outbox_dispatch.using(run_after=timezone.now() + timedelta(seconds=retry_after)).enqueue()


def outbox_dispatch_pending(*, limit: int = 500) -> int:
    """Hand pending events to their handlers, oldest first. Returns how many were dispatched.

    Each event is claimed by a conditional update, so two workers never handle one event
    at the same time; an event whose handler raised stays pending with the error noted.
    """
    done, failed_attempts = 0, []
    pending = list(
        OutboxEvent.objects.filter(dispatched_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    for event_id in pending:
        claimed_at = timezone.now()
        with transaction.atomic():
            claimed = OutboxEvent.objects.filter(pk=event_id, dispatched_at__isnull=True).update(
                dispatched_at=claimed_at
            )
            if not claimed:
                continue
            row = OutboxEvent.objects.get(pk=event_id)
            event = Event(row.pk, row.name, row.aggregate_type, row.aggregate_id, row.payload)
            try:
                with transaction.atomic():
                    for handler in _handlers.get(event.name, []):
                        handler(event)
            except Exception as error:
                logger.exception("Handler failed for outbox event %s (%s)", event.id, event.name)
                failed_attempts.append(row.attempts + 1)
                OutboxEvent.objects.filter(pk=event_id).update(
                    dispatched_at=None,
                    attempts=row.attempts + 1,
                    last_error=f"{type(error).__name__}: {error}",
                )
                continue
        done += 1
    if failed_attempts:
        transaction.on_commit(lambda: _schedule_dispatch(retry_after=_backoff(min(failed_attempts))))
    return done


def _backoff(attempts: int) -> int:
    """Seconds before the next try: 2, 4, 8, ... up to five minutes."""
    return min(2**attempts, 300)
