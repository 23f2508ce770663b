"""Tasks whose run was lost are run again: cut off by a database error, or left running
by a worker that died. The worker here is the real `task_worker` worker class, run in
this process on the test database; the outage is a connection wrapper that fails every
query the way a dropped PostgreSQL connection does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from shopstack.core.management.commands.task_worker import Heartbeat, ResilientWorker
from shopstack.core.models import ReferenceStamp, TaskWorkerHeartbeat
from shopstack.core.task_recovery import (
    ABANDONED_PATH,
    MAX_RUNS,
    task_requeue_cut_off,
    tasks_requeue_abandoned,
    worker_heartbeat,
)
from shopstack.core.tests import recovery_tasks
from shopstack.core.tests.recovery_tasks import database_outage, record_a_run, take_a_while
from shopstack.testing.tasks import use_tasks_backend

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]
# Waits for a worker process or thread to start, beat, run or stop on a busy machine.
PROCESS_TIMEOUT = 300.0


@pytest.fixture
def database_queue(settings):
    recovery_tasks.runs.clear()
    recovery_tasks.outage.update(on=False, during_next_run=False)
    use_tasks_backend(settings, "django_tasks_db.DatabaseBackend")
    yield
    recovery_tasks.outage.update(on=False, during_next_run=False)
    use_tasks_backend(settings, "django.tasks.backends.immediate.ImmediateBackend")


def worker(worker_id: str = "worker-a") -> ResilientWorker:
    return ResilientWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def claim(result_id: str, worker_id: str) -> DBTaskResult:
    row = DBTaskResult.objects.get(pk=result_id)
    row.claim(worker_id)
    return row


def test_a_task_whose_run_and_failure_record_the_outage_cut_off_runs_again(database_queue):
    queued = record_a_run.enqueue("email")
    recovery_tasks.outage["during_next_run"] = True
    the_worker = worker()
    row = claim(queued.id, the_worker.worker_id)
    with connection.execute_wrapper(database_outage), pytest.raises(OperationalError):
        the_worker.run_task(row)  # nothing can be written: the row stays RUNNING
    recovery_tasks.outage["on"] = False
    assert DBTaskResult.objects.get(pk=queued.id).status == TaskResultStatus.RUNNING

    the_worker.run()  # the database is back: the run is queued again, then run
    again = DBTaskResult.objects.get(pk=queued.id)
    assert again.status == TaskResultStatus.SUCCESSFUL
    assert again.worker_ids == ["worker-a", "worker-a"]
    assert recovery_tasks.runs == ["email", "email"]
    assert ReferenceStamp.objects.get(name="recovery-email").token == "2"


def test_a_task_failed_on_a_database_error_that_was_recorded_runs_again(database_queue):
    queued = record_a_run.enqueue("short-blip")
    the_worker = worker()
    row = claim(queued.id, the_worker.worker_id)

    def only_the_task_fails(execute, sql, params, many, context):  # the blip ends before the record
        if "core_referencestamp" in sql:
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(only_the_task_fails):
        the_worker.run_task(row)
    row = DBTaskResult.objects.get(pk=queued.id)
    assert row.status == TaskResultStatus.READY
    assert (row.exception_class_path, row.traceback, row.finished_at) == ("", "", None)
    the_worker.run()
    assert DBTaskResult.objects.get(pk=queued.id).status == TaskResultStatus.SUCCESSFUL
    assert recovery_tasks.runs == ["short-blip", "short-blip"]


def test_a_task_failed_otherwise_or_claimed_again_is_left_alone(database_queue):
    queued = record_a_run.enqueue("bug")
    row = claim(queued.id, "worker-a")
    row.set_failed(ValueError("a bug, not an outage"))
    assert task_requeue_cut_off(task_id=queued.id, started_at=row.started_at) == ""
    assert DBTaskResult.objects.get(pk=queued.id).status == TaskResultStatus.FAILED

    other = record_a_run.enqueue("taken")
    first_run = claim(other.id, "worker-a")
    DBTaskResult.objects.filter(pk=other.id).update(started_at=timezone.now() + timedelta(seconds=1))
    assert task_requeue_cut_off(task_id=other.id, started_at=first_run.started_at) == ""
    assert DBTaskResult.objects.get(pk=other.id).status == TaskResultStatus.RUNNING


def running(name: str, *, worker_id: str, started_ago: timedelta, runs: int = 1) -> str:
    queued = record_a_run.enqueue(name)
    DBTaskResult.objects.filter(pk=queued.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - started_ago,
        worker_ids=[worker_id] * runs,
    )
    return queued.id


def status(result_id: str) -> str:
    return DBTaskResult.objects.get(pk=result_id).status


def test_the_sweep_requeues_tasks_of_dead_workers_only(database_queue):
    now = timezone.now()
    worker_heartbeat(worker_id="alive", now=now - timedelta(seconds=5))
    worker_heartbeat(worker_id="dead", now=now - timedelta(minutes=5))
    long_task_of_a_live_worker = running("long", worker_id="alive", started_ago=timedelta(hours=2))
    of_a_dead_worker = running("orphan", worker_id="dead", started_ago=timedelta(minutes=6))
    just_claimed = running("new", worker_id="starting", started_ago=timedelta(seconds=10))
    silent_worker_recent = running("silent", worker_id="db-worker", started_ago=timedelta(minutes=10))
    silent_worker_long_gone = running("silent-old", worker_id="db-worker", started_ago=timedelta(hours=2))
    lost_too_often = running("poison", worker_id="dead", started_ago=timedelta(minutes=6), runs=MAX_RUNS)

    recovery = tasks_requeue_abandoned(now=now)

    assert (recovery.requeued, recovery.failed) == (2, 1)
    assert status(of_a_dead_worker) == status(silent_worker_long_gone) == TaskResultStatus.READY
    assert status(long_task_of_a_live_worker) == status(just_claimed) == TaskResultStatus.RUNNING
    assert status(silent_worker_recent) == TaskResultStatus.RUNNING
    poisoned = DBTaskResult.objects.get(pk=lost_too_often)
    assert (poisoned.status, poisoned.exception_class_path) == (TaskResultStatus.FAILED, ABANDONED_PATH)

    # A worker then runs what was requeued, once each.
    worker("worker-b").run()
    assert status(of_a_dead_worker) == status(silent_worker_long_gone) == TaskResultStatus.SUCCESSFUL
    assert sorted(recovery_tasks.runs) == ["orphan", "silent-old"]
    assert tasks_requeue_abandoned() == type(recovery)(requeued=0, failed=0)


def test_the_heartbeat_thread_beats_until_stopped():
    heartbeat = Heartbeat("worker-beating", interval=0.05)
    heartbeat.start()
    try:
        first = None
        deadline = time.monotonic() + PROCESS_TIMEOUT
        while time.monotonic() < deadline:
            row = TaskWorkerHeartbeat.objects.filter(worker_id="worker-beating").first()
            if row is not None and first is None:
                first = row.beat_at
            if row is not None and row.beat_at > first:
                break
            heartbeat.stopped.wait(0.05)
        assert first is not None
        assert TaskWorkerHeartbeat.objects.get(worker_id="worker-beating").beat_at > first
    finally:
        heartbeat.stop()
    assert not heartbeat.is_alive()


def database_url() -> str:
    """The test database, for a worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(worker_id: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DATABASE_URL": database_url(),
    }
    command = [sys.executable, "manage.py", "task_worker", "--worker-id", worker_id]
    command += ["--interval", "0.1", "--no-startup-delay", "--no-reload"]
    return subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_for(check, timeout: float = PROCESS_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_task_of_a_killed_worker_process_is_run_by_the_next_worker(database_queue):
    queued = take_a_while.enqueue("slow", PROCESS_TIMEOUT)  # killed long before it ends
    first = start_worker("worker-killed")
    try:
        assert wait_for(lambda: ReferenceStamp.objects.filter(name="started-slow").exists())
        assert wait_for(lambda: TaskWorkerHeartbeat.objects.filter(worker_id="worker-killed").exists())
        first.send_signal(signal.SIGKILL)  # like kill -9 or a lost machine: no cleanup at all
        first.wait(timeout=PROCESS_TIMEOUT)
    finally:
        first.kill()
    assert status(queued.id) == TaskResultStatus.RUNNING  # nobody will finish it by itself
    assert TaskWorkerHeartbeat.objects.filter(worker_id="worker-killed").exists()

    # Two seconds on, the dead worker's last beat is older than a one-second lease.
    later = timezone.now() + timedelta(seconds=2)
    assert tasks_requeue_abandoned(lease=timedelta(seconds=1), now=later).requeued == 1
    assert status(queued.id) == TaskResultStatus.READY
    DBTaskResult.objects.filter(pk=queued.id).update(args_kwargs={"args": ["slow", 0], "kwargs": {}})

    second = start_worker("worker-next")
    try:
        assert wait_for(lambda: status(queued.id) == TaskResultStatus.SUCCESSFUL)
    finally:
        second.terminate()
        second.wait(timeout=PROCESS_TIMEOUT)
    row = DBTaskResult.objects.get(pk=queued.id)
    assert row.worker_ids == ["worker-killed", "worker-next"]
    assert ReferenceStamp.objects.filter(name="finished-slow").exists()
    # A worker that stops cleanly takes its heartbeat with it.
    assert not TaskWorkerHeartbeat.objects.filter(worker_id="worker-next").exists()


@pytest.mark.django_db
def test_pruning_deletes_only_results_finished_long_ago() -> None:
    from django.tasks import TaskResultStatus
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from shopstack.core.task_recovery import tasks_results_prune

    now = timezone.now()
    ages = {"old_ok": (TaskResultStatus.SUCCESSFUL, 8), "new_ok": (TaskResultStatus.SUCCESSFUL, 6),
            "old_failed": (TaskResultStatus.FAILED, 31), "new_failed": (TaskResultStatus.FAILED, 8),
            "running": (TaskResultStatus.RUNNING, 40), "ready": (TaskResultStatus.READY, 40)}  # fmt: skip
    ids = {}
    for name, (status, days) in ages.items():
        row = DBTaskResult.objects.create(
            task_path="shopstack.core.tasks.outbox_dispatch",
            args_kwargs={"args": [], "kwargs": {}},
            status=status,
            enqueued_at=now - timedelta(days=days),
            finished_at=now - timedelta(days=days)
            if status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
            else None,
            backend_name="default",
            run_after=now - timedelta(days=days),
        )
        ids[name] = row.pk
    assert tasks_results_prune(now=now) == {"successful": 1, "failed": 1}
    left = set(DBTaskResult.objects.filter(pk__in=ids.values()).values_list("pk", flat=True))
    assert left == {ids[name] for name in ("new_ok", "new_failed", "running", "ready")}
