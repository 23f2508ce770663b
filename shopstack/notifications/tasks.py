"""Background work for notifications: every message leaves the process from a worker."""

from __future__ import annotations

from datetime import datetime

from django.tasks import task

from shopstack.notifications.models import NotificationLog
from shopstack.notifications.selectors import notifications_due
from shopstack.notifications.services import notification_deliver


def notification_send_schedule(log_id: int, *, at: datetime | None = None) -> None:
    """Queue the send of one logged message, now or at `at`.

    A task backend that cannot defer (the immediate one of tests) gets no deferred retry:
    `notification_retry_due`, run periodically, resends what is due."""
    if at is None:
        notification_send.enqueue(log_id)
    elif notification_send.get_backend().supports_defer:
        notification_send.using(run_after=at).enqueue(log_id)


@task()
def notification_send(log_id: int) -> str:
    """Send one message and record the outcome; a failure queues its own retry with backoff."""
    log = notification_deliver(log_id=log_id)
    if log.status == NotificationLog.Status.FAILED and log.next_attempt_at is not None:
        notification_send_schedule(log.pk, at=log.next_attempt_at)
    return log.status


@task()
def notification_retry_due() -> int:
    """The sweep: send every message whose retry is due or whose send task was lost."""
    due = notifications_due()
    for log_id in due:
        notification_send.enqueue(log_id)
    return len(due)
