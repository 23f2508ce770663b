"""Turning domain events into notification log rows, and delivering one row.

The outbox hands each event to the handler at least once; `notification_queue` writes
one row per (event, channel, template) under a unique constraint, so a second dispatch
finds the rows and queues nothing. `notification_deliver` claims a row, renders and sends
it, and records the outcome; retries are the caller's (the send task's) business.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from shopstack.core.errors import NotFound
from shopstack.core.events import Event
from shopstack.notifications.backends import load_channel
from shopstack.notifications.backends.base import DeliveryResult
from shopstack.notifications.models import NotificationLog
from shopstack.notifications.rendering import EVENT_MESSAGES, OrderGone, message_render

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# Long enough for any send to finish; a worker killed mid-send frees its row after this.
CLAIM_SECONDS = 300

Status = NotificationLog.Status


def retry_delay(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min, then every 2 hours: a mail server's bad spell passes."""
    return timedelta(seconds=min(30 * 4 ** (attempts - 1), 7200))


def notification_queue(*, event: Event) -> list[NotificationLog]:
    """The log rows an event calls for, created now; [] for rows that exist already (a
    re-dispatched event) and for events that need no message or name no email."""
    kind = EVENT_MESSAGES.get(event.name)
    payload = event.payload or {}
    recipient = str(payload.get("email") or "").strip()
    if kind is None or not recipient:
        return []
    created = []
    for channel in kind.channels:
        try:
            with transaction.atomic():
                log, is_new = NotificationLog.objects.get_or_create(
                    event_id=event.id,
                    channel=channel,
                    template=kind.template,
                    defaults={
                        "event_name": event.name,
                        "recipient": recipient,
                        "order_number": str(payload.get("number") or "")[:32],
                        "data": payload,
                        # The send task is queued with the row; the retry sweep only steps
                        # in if that task never ran (a worker killed mid-send).
                        "next_attempt_at": timezone.now() + timedelta(seconds=CLAIM_SECONDS),
                    },
                )
        except IntegrityError:
            continue  # a second dispatcher wrote it between our read and insert
        if is_new:
            created.append(log)
    return created


def _claim(log_id: int, now: datetime) -> bool:
    """Take the row for this worker: only one sender at a time, and never once it is sent."""
    return bool(
        NotificationLog.objects.filter(pk=log_id, status__in=[Status.PENDING, Status.FAILED])
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        .update(locked_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )


def notification_deliver(*, log_id: int) -> NotificationLog:
    """Send one logged message now and record what happened.

    A row already sent, or being sent by another worker, is returned untouched. A failure
    leaves the row `failed` with the error, the attempt counted and `next_attempt_at` set
    (None once retrying is pointless: MAX_ATTEMPTS reached or a permanent refusal)."""
    now = timezone.now()
    if not _claim(log_id, now):
        log = NotificationLog.objects.filter(pk=log_id).first()
        if log is None:
            raise NotFound("No such notification.", fields={"log_id": ["Unknown notification."]})
        return log
    log = NotificationLog.objects.get(pk=log_id)
    try:
        message = message_render(log=log)
    except OrderGone as error:
        result = DeliveryResult.failed(str(error), retryable=False)
    else:
        if not log.subject:
            log.subject = message.subject[:255]
        result = load_channel(log.channel).send(message)
    log.locked_until = None
    if result.ok:
        log.status, log.error, log.sent_at, log.next_attempt_at = Status.SENT, "", timezone.now(), None
        log.provider_id = result.provider_id[:255]
    else:
        log.status, log.error = Status.FAILED, result.error
        retry = result.retryable and log.attempts < MAX_ATTEMPTS
        log.next_attempt_at = timezone.now() + retry_delay(log.attempts) if retry else None
        logger.warning(
            "Notification %s (%s to %s) failed, attempt %s: %s",
            log.pk,
            log.template,
            log.recipient,
            log.attempts,
            result.error,
        )
    log.save(
        update_fields=[
            "status",
            "error",
            "sent_at",
            "next_attempt_at",
            "provider_id",
            "subject",
            "locked_until",
            "updated_at",
        ]
    )
    return log


def notification_retry(*, log_ids: list[int]) -> int:
    """Make failed messages due now (staff's "send again"); the retry sweep sends them from
    a worker. Returns how many were failed and are now due."""
    return NotificationLog.objects.filter(pk__in=log_ids, status=Status.FAILED).update(
        next_attempt_at=timezone.now(), locked_until=None
    )
