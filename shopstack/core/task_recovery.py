"""Getting background tasks run again when the run that claimed them was lost.

django-tasks-db marks a task RUNNING when a worker claims it and only a finishing worker
moves it on, so two kinds of loss leave a task that no worker will take again:

- The database went away while the task ran: the task failed on a database error, and
  the worker either recorded that failure (FAILED, with the error's class) or could not
  write anything at all (still RUNNING). `task_requeue_cut_off` makes it READY again;
  the task worker calls it for its own task once the database answers again.
- The worker died (kill -9, a lost machine): the task stays RUNNING with that worker's
  id last in `worker_ids`. Workers write a heartbeat (TaskWorkerHeartbeat) while they
  live; `tasks_requeue_abandoned`, run periodically, makes READY every running task whose
  worker has not beaten for a lease.

Either way the task runs again from the start, so every task must be idempotent. A task
claimed MAX_RUNS times is failed for good instead (one that kills its worker each time
must not loop forever).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.utils import InterfaceError, OperationalError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from shopstack.core.models import TaskWorkerHeartbeat

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
# How django-tasks-db records a failure's class (module + qualified name).
DATABASE_ERROR_PATHS = frozenset(f"{error.__module__}.{error.__qualname__}" for error in DATABASE_ERRORS)
MAX_RUNS = 5
HEARTBEAT_SECONDS = 10.0
# A worker that has not beaten for this long is taken for dead (six missed beats).
LEASE = timedelta(seconds=60)
# Tasks claimed by a worker that never beats (django-tasks-db's own `db_worker`) are only
# taken back after this long, so a long task of a live worker of that kind is not run twice.
SILENT_WORKER_LEASE = timedelta(hours=1)
GONE_HEARTBEATS_AFTER = timedelta(days=1)
ABANDONED_PATH = "shopstack.core.task_recovery.TaskAbandoned"


class TaskAbandoned(RuntimeError):
    """Recorded as the failure of a task whose runs kept being lost."""


@dataclass(frozen=True)
class Recovery:
    requeued: int = 0
    failed: int = 0


def worker_heartbeat(*, worker_id: str, now: datetime | None = None) -> None:
    """Record that the worker is alive now."""
    TaskWorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id, defaults={"beat_at": now or timezone.now()}
    )


def worker_heartbeat_end(*, worker_id: str) -> None:
    """A worker stopping cleanly: nothing of it is left to watch."""
    TaskWorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def task_cut_off_by_database(result: DBTaskResult) -> bool:
    """True if the worker recorded this task as failed on a database error."""
    return result.status == TaskResultStatus.FAILED and result.exception_class_path in DATABASE_ERROR_PATHS


def _retry_delay(runs: int) -> timedelta:
    """None before the second run (the outage is over by the time anyone requeues), then
    10 s, 20 s, 40 s: a database error that is really a bug does not spin."""
    return timedelta(seconds=0 if runs <= 1 else 10 * 2 ** (runs - 2))


def _requeue(result: DBTaskResult, *, only_if: models.Q, now: datetime) -> str:
    """READY again (or FAILED for good after MAX_RUNS), if the row is still the run we
    looked at (`only_if`); returns the new status, or "" when someone else moved it."""
    runs = len(result.worker_ids or [])
    rows = DBTaskResult.objects.filter(only_if, pk=result.pk, started_at=result.started_at)
    if runs >= MAX_RUNS:
        changed = rows.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=ABANDONED_PATH,
            traceback=f"TaskAbandoned: {runs} runs were cut off or lost; not retried again.\n",
        )
        return TaskResultStatus.FAILED if changed else ""
    changed = rows.update(
        status=TaskResultStatus.READY,
        run_after=now + _retry_delay(runs),
        finished_at=None,
        return_value=None,
        exception_class_path="",
        traceback="",
    )
    return TaskResultStatus.READY if changed else ""


def task_requeue_cut_off(*, task_id: str, started_at: datetime | None) -> str:
    """Run again a task whose run (the one that started at `started_at`) a database error
    cut off: still RUNNING (nothing could be recorded) or FAILED on a database error. A task
    that finished otherwise, or was claimed again since, is left alone. Returns the status
    set, or "" for nothing done."""
    result = DBTaskResult.objects.filter(pk=task_id, started_at=started_at).first()
    if result is None:
        return ""
    cut_off = models.Q(status=TaskResultStatus.RUNNING) | models.Q(
        status=TaskResultStatus.FAILED, exception_class_path__in=DATABASE_ERROR_PATHS
    )
    status = _requeue(result, only_if=cut_off, now=timezone.now())
    if status:
        logger.warning("Task %s (%s) cut off by a database error: %s", result.pk, result.task_path, status)
    return status


def tasks_requeue_abandoned(
    *, lease: timedelta = LEASE, silent_lease: timedelta = SILENT_WORKER_LEASE, now: datetime | None = None
) -> Recovery:
    """Run again every task left RUNNING by a worker that is gone: its heartbeat is older
    than `lease` (or it never beat and the task started over `silent_lease` ago)."""
    now = now or timezone.now()
    running = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=now - lease).only(
            "pk", "task_path", "started_at", "worker_ids"
        )
    )
    claimed_by = {result.pk: (result.worker_ids or [""])[-1] for result in running}
    beats = dict(
        TaskWorkerHeartbeat.objects.filter(worker_id__in=set(claimed_by.values())).values_list(
            "worker_id", "beat_at"
        )
    )
    requeued = failed = 0
    for result in running:
        beat_at = beats.get(claimed_by[result.pk])
        alive = beat_at >= now - lease if beat_at is not None else result.started_at >= now - silent_lease
        if alive:
            continue
        status = _requeue(result, only_if=models.Q(status=TaskResultStatus.RUNNING), now=now)
        if status:
            logger.warning(
                "Task %s (%s) was left running by worker %s, which is gone: %s",
                result.pk,
                result.task_path,
                claimed_by[result.pk],
                status,
            )
        requeued += status == TaskResultStatus.READY
        failed += status == TaskResultStatus.FAILED
    TaskWorkerHeartbeat.objects.filter(beat_at__lt=now - GONE_HEARTBEATS_AFTER).delete()
    return Recovery(requeued=requeued, failed=failed)


def tasks_results_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Delete task results that finished long enough ago: successful ones after
    TASK_RESULTS_KEEP_DAYS (7), failed ones after TASK_FAILURES_KEEP_DAYS (30), which
    staff may still want to look at. Queued and running tasks are never touched."""
    now = now or timezone.now()
    keep = timedelta(days=getattr(settings, "TASK_RESULTS_KEEP_DAYS", 7))
    keep_failed = timedelta(days=getattr(settings, "TASK_FAILURES_KEEP_DAYS", 30))
    done, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=now - keep
    ).delete()
    failed, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.FAILED, finished_at__lt=now - keep_failed
    ).delete()
    return {"successful": done, "failed": failed}
