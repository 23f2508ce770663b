"""Background work that belongs to no single context."""

from __future__ import annotations

from django.tasks import task

from shopstack.core.events import outbox_dispatch_pending
from shopstack.core.task_recovery import tasks_requeue_abandoned


@task()
def outbox_dispatch() -> int:
    return outbox_dispatch_pending()


@task()
def tasks_recover_abandoned() -> dict[str, int]:
    """Periodic: tasks left running by a worker that died are queued again."""
    recovery = tasks_requeue_abandoned()
    return {"requeued": recovery.requeued, "failed": recovery.failed}
