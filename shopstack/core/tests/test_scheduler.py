"""Periodic sweeps run once per interval however many schedulers run: a lease per sweep.

The last test runs two real `manage.py scheduler` processes against the test database
and counts what they enqueued (into the database task queue; no worker runs them)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from shopstack.core.models import PeriodicLease
from shopstack.core.periodic import periodic_claim

ROOT = Path(__file__).resolve().parents[3]
SWEEP, SWEEP_PATH = "core.tasks_prune", "shopstack.core.tasks.tasks_prune_finished"


@pytest.mark.django_db
def test_only_one_claim_wins_each_turn():
    now = timezone.now()
    first = periodic_claim(name="tests.sweep", interval_seconds=60, now=now)
    second = periodic_claim(name="tests.sweep", interval_seconds=60, now=now)
    assert first == (True, now + timedelta(seconds=60))
    assert second == (False, now + timedelta(seconds=60))
    assert (
        periodic_claim(name="tests.sweep", interval_seconds=60, now=now + timedelta(seconds=59))[0] is False
    )
    assert periodic_claim(name="tests.sweep", interval_seconds=60, now=now + timedelta(seconds=60))[0] is True
    assert PeriodicLease.objects.get(name="tests.sweep").next_run_at == now + timedelta(seconds=120)


@pytest.mark.django_db
def test_scheduler_refuses_an_unknown_sweep_or_a_bad_interval():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No periodic task named nope"):
        call_command("scheduler", "--once", "--only", "nope")
    with pytest.raises(CommandError, match="positive"):
        call_command("scheduler", "--once", "--interval", "0")


def database_url() -> str:
    """The test database, for a scheduler process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Scheduler:
    """A `manage.py scheduler` process; its output lines are read by a thread."""

    def __init__(self, *arguments: str) -> None:
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "DATABASE_URL": database_url(),
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "scheduler", *arguments],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def started(self, timeout: float = 60) -> str:
        return self.lines.get(timeout=timeout)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=10)


def enqueued_at() -> list:
    return list(
        DBTaskResult.objects.filter(task_path=SWEEP_PATH)
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
    )


def wait_for(check, timeout: float = 90) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_run_a_sweep_once_per_interval():
    interval = 2.0
    arguments = ("--only", SWEEP, "--interval", str(interval), "--tick", "0.05")
    schedulers = [Scheduler(*arguments), Scheduler(*arguments)]
    try:
        for scheduler in schedulers:
            assert f"{SWEEP} every 2s" in scheduler.started()
        assert wait_for(lambda: len(enqueued_at()) >= 5)
        assert all(s.process.poll() is None for s in schedulers), "a scheduler exited"
    finally:
        codes = [scheduler.stop() for scheduler in schedulers]
    assert codes == [0, 0]
    times = enqueued_at()
    gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(times)]
    # One turn per interval between them. Two schedulers each keeping their own pace
    # would enqueue twice per interval: some gap would be at most half an interval.
    assert min(gaps) > 0.6 * interval, gaps
    # And the turns go on at that pace (neither scheduler stalled the other).
    assert max(gaps) < 10 * interval, gaps
