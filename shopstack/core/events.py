"""Domain events through the outbox.

A service announces what happened with `event_record(...)` inside its transaction. After
commit the `outbox_dispatch` task hands each new event out: one OutboxDelivery per
handler subscribed to its name (contexts subscribe in AppConfig.ready), then runs the
deliveries that are due.

- A delivery is retried alone, with backoff (`next_attempt_at`), so one failing handler
  never runs the others again, and failing deliveries never hold back newer ones.
- After OUTBOX_MAX_ATTEMPTS failures it is dead: listed in the admin, retried from there.
- One handler sees one aggregate's events in the order they were recorded: a delivery
  waits while an earlier one of the same handler and aggregate is pending (failing, or
  running in another worker). A dead one no longer holds the rest back.

Handlers see each event at least once (a worker can die after the handler's effect and
before the mark) and must be idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from shopstack.core.enqueue import enqueued_in_transaction
from shopstack.core.faults import fault_point
from shopstack.core.models import OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[["Event"], None]
# event name -> {handler name: handler}; a delivery names its handler, so names must be stable.
_handlers: dict[str, dict[str, Handler]] = {}
DEFAULT_MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 3600
Pending = OutboxDelivery.State.PENDING


@dataclass(frozen=True)
class Event:
    id: int
    name: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]


def handler_name(handler: Handler) -> str:
    """module.qualname of a function or method, or of the class of a callable object."""
    target: Any = handler if hasattr(handler, "__qualname__") else type(handler)
    module = getattr(target, "__module__", None) or type(handler).__module__
    return f"{module}.{target.__qualname__}"


def subscribe(name: str, handler: Handler, *, as_name: str | None = None) -> None:
    """Call `handler` for every event called `name` (once per process, from AppConfig.ready).

    Deliveries are recorded under the handler's name (`as_name`, else `handler_name`):
    renaming or moving a handler leaves its pending deliveries without a handler (they
    fail, then die, and can be retried from the admin once it is back)."""
    key = as_name or handler_name(handler)
    subscribed = _handlers.setdefault(name, {})
    if key in subscribed and subscribed[key] != handler:
        raise ValueError(f"Another handler is already subscribed to {name} as {key}")
    subscribed[key] = handler


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


def outbox_dispatch_pending(*, limit: int = 500, now: datetime | None = None) -> int:
    """Hand new events out to their handlers, then run every delivery due at `now`, oldest
    first, `limit` at a time. Returns how many deliveries succeeded.

    Each delivery is tried at most once per call: a failure moves its next attempt past
    `now`. Claiming is safe with several workers: on PostgreSQL a delivery another worker
    holds is skipped (SKIP LOCKED); SQLite runs one write transaction at a time.
    """
    now = now or timezone.now()
    _hand_out(now=now, batch=limit)
    done = 0
    retry_at: datetime | None = None
    while due := list(_due_deliveries(now).values_list("pk", flat=True)[:limit]):
        tried = [delivery for delivery_id in due if (delivery := _deliver(delivery_id, now=now))]
        if not tried:
            break  # all held by other workers: theirs to finish
        done += sum(delivery.state == OutboxDelivery.State.DONE for delivery in tried)
        retries = [delivery.next_attempt_at for delivery in tried if delivery.state == Pending]
        if retries:
            retry_at = min([*retries, retry_at] if retry_at else retries)
    if retry_at is not None:
        seconds = max(1, int((retry_at - now).total_seconds()))
        transaction.on_commit(lambda: _schedule_dispatch(retry_after=seconds))
    return done


def _hand_out(*, now: datetime, batch: int) -> None:
    """One delivery per (event, subscribed handler) for events not handed out yet, in
    recording order. Two dispatchers doing this at once write each delivery once (the
    unique constraint; the second insert waits for the first and is dropped)."""
    while True:
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.filter(dispatched_at__isnull=True)
                .order_by("id")
                .values_list("id", "name", "aggregate_type", "aggregate_id")[:batch]
            )
            if not events:
                return
            OutboxDelivery.objects.bulk_create(
                [
                    OutboxDelivery(
                        event_id=event_id,
                        handler=key,
                        aggregate=f"{aggregate_type}:{aggregate_id}",
                        next_attempt_at=now,
                    )
                    for event_id, name, aggregate_type, aggregate_id in events
                    for key in _handlers.get(name, {})
                ],
                ignore_conflicts=True,
            )
            OutboxEvent.objects.filter(pk__in=[event[0] for event in events]).update(dispatched_at=now)
        if len(events) < batch:
            return


def _due_deliveries(now: datetime) -> QuerySet[OutboxDelivery]:
    """Pending deliveries due by `now` that no earlier pending delivery of the same
    handler and aggregate is waiting in front of."""
    earlier = OutboxDelivery.objects.filter(
        state=Pending,
        handler=OuterRef("handler"),
        aggregate=OuterRef("aggregate"),
        event_id__lt=OuterRef("event_id"),
    )
    return (
        OutboxDelivery.objects.filter(state=Pending, next_attempt_at__lte=now)
        .exclude(Exists(earlier))
        .order_by("next_attempt_at", "id")
    )


def _deliver(delivery_id: int, *, now: datetime) -> OutboxDelivery | None:
    """Run one delivery's handler in a transaction with its outcome, and return the
    delivery as it was left (done, pending again for later, or dead); None if another
    worker holds it or has finished it."""
    with transaction.atomic():
        delivery = (
            OutboxDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event")
            .filter(pk=delivery_id, state=Pending, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return None
        row = delivery.event
        event = Event(row.pk, row.name, row.aggregate_type, row.aggregate_id, row.payload)
        try:
            handler = _handlers.get(event.name, {}).get(delivery.handler)
            if handler is None:
                raise LookupError(f"no handler {delivery.handler} is subscribed to {event.name}")
            with transaction.atomic():
                handler(event)
        except Exception as error:
            _record_failure(delivery, error, now=now)
            return delivery
        # Proof tests kill the worker here (the handler's effect made, its delivery still
        # pending: it runs again) and just after the commit (done: it never runs again).
        fault_point("outbox_after_handler")
        delivery.state = OutboxDelivery.State.DONE
        delivery.attempts += 1
        delivery.finished_at = now
        delivery.last_error = ""
        delivery.save(update_fields=["state", "attempts", "finished_at", "last_error"])
    fault_point("outbox_after_delivery_done")
    return delivery


def _record_failure(delivery: OutboxDelivery, error: Exception, *, now: datetime) -> None:
    delivery.attempts += 1
    delivery.last_error = f"{type(error).__name__}: {error}"
    if delivery.attempts >= outbox_max_attempts():
        logger.error(
            "Outbox delivery %s (%s, event %s) failed %s times and is dead: %s",
            delivery.pk,
            delivery.handler,
            delivery.event_id,
            delivery.attempts,
            delivery.last_error,
            exc_info=error,
        )
        delivery.state = OutboxDelivery.State.DEAD
        delivery.finished_at = now
        delivery.save(update_fields=["state", "attempts", "last_error", "finished_at"])
        return
    logger.warning(
        "Outbox delivery %s (%s, event %s) failed, attempt %s",
        delivery.pk,
        delivery.handler,
        delivery.event_id,
        delivery.attempts,
        exc_info=error,
    )
    delivery.next_attempt_at = now + timedelta(seconds=outbox_backoff(delivery.attempts))
    delivery.save(update_fields=["attempts", "last_error", "next_attempt_at"])


def outbox_max_attempts() -> int:
    """Failures after which a delivery is dead (OUTBOX_MAX_ATTEMPTS)."""
    return int(getattr(settings, "OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def outbox_backoff(attempts: int) -> int:
    """Seconds before the next try after `attempts` failures: 5, 10, 20, ... up to an hour."""
    return min(5 * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)


def outbox_deliveries_retry(*, delivery_ids: list[int], now: datetime | None = None) -> int:
    """Make failing or dead deliveries due now, with a fresh count of attempts (staff's
    "retry now"); done ones are left alone. A dispatch is queued after commit. Returns
    how many were made due."""
    now = now or timezone.now()
    count = (
        OutboxDelivery.objects.filter(pk__in=delivery_ids)
        .exclude(state=OutboxDelivery.State.DONE)
        .update(state=Pending, next_attempt_at=now, attempts=0, finished_at=None)
    )
    if count:
        transaction.on_commit(_schedule_dispatch)
    return count
