"""Background work that belongs to no single context."""

from __future__ import annotations

from django.tasks import task

from shopstack.core.events import outbox_dispatch_pending
from shopstack.core.retention import retention_prune
from shopstack.core.task_recovery import tasks_requeue_abandoned, tasks_results_prune


@task()
def outbox_dispatch() -> int:
    return outbox_dispatch_pending()


@task()
def tasks_recover_abandoned() -> dict[str, int]:
    """Periodic: tasks left running by a worker that died are queued again."""
    recovery = tasks_requeue_abandoned()
    return {"requeued": recovery.requeued, "failed": recovery.failed}


@task()
def tasks_prune_finished() -> dict[str, int]:
    """Periodic: finished task results past their keeping time are deleted, so the table
    every worker polls (and the recovery sweep scans) does not grow with every order."""
    return tasks_results_prune()


@task()
def retention_prune_sweep() -> dict[str, int]:
    """Periodic: outbox events, idempotency keys, expired sessions and the contexts'
    registered logs past their keeping time are deleted (core.retention)."""
    return retention_prune()
