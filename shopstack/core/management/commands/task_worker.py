"""The task worker `scripts/serve` runs: django-tasks-db's `db_worker`, kept alive when
the database goes away.

The library's worker raises out of its loop on any database error other than a lock, so
a PostgreSQL restart (or failover) would end the worker, and with it the whole
`scripts/serve` group. This one closes the broken connections, waits with a growing pause
and carries on. A task that a database error cut off (left RUNNING, or recorded as failed
on that error) is made READY again once the database answers (core.task_recovery), and
a heartbeat thread lets the periodic recovery sweep tell a live worker from a dead one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime
from typing import Any

from django.db import connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from shopstack.core.task_recovery import (
    HEARTBEAT_SECONDS,
    task_cut_off_by_database,
    task_requeue_cut_off,
    worker_heartbeat,
    worker_heartbeat_end,
)

logger = logging.getLogger(__name__)

FIRST_PAUSE = 0.5  # seconds
LONGEST_PAUSE = 5.0


def close_broken_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # the socket is already gone; forgetting it is all that is left
            connection.connection = None


class Heartbeat(threading.Thread):
    """Writes the worker's heartbeat every `interval` seconds, on its own connection,
    also while a long task runs; a failed write is logged and tried again next beat."""

    def __init__(self, worker_id: str, interval: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id, self.interval = worker_id, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while True:
                try:
                    worker_heartbeat(worker_id=self.worker_id)
                except DatabaseError as error:  # away, or not migrated yet: the worker goes on
                    logger.warning("Heartbeat not written (%s)", error)
                    close_broken_connections()
                if self.stopped.wait(self.interval):
                    return
        finally:
            connections.close_all()

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=self.interval + 5)


class ResilientWorker(Worker):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Runs a database error cut off, as (task id, start of that run): made READY again
        # as soon as the database answers.
        self.cut_off: list[tuple[str, datetime | None]] = []

    def run(self) -> None:
        pause = FIRST_PAUSE
        while self.running:
            started = time.monotonic()
            try:
                self.requeue_cut_off()
                super().run()
                return
            except (OperationalError, InterfaceError) as error:
                if not self.running:
                    return
                # A worker that ran for a while before failing is not in a failure loop.
                if time.monotonic() - started > LONGEST_PAUSE * 2:
                    pause = FIRST_PAUSE
                logger.warning("Database unavailable (%s); retrying in %.1f s", error, pause)
                close_broken_connections()
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
                self.startup_delay = False

    def run_task(self, db_task_result: DBTaskResult) -> None:
        run = (str(db_task_result.pk), db_task_result.started_at)
        try:
            super().run_task(db_task_result)
        except (OperationalError, InterfaceError):
            # The task failed and even its failure could not be written: it is still RUNNING.
            self.cut_off.append(run)
            raise
        if task_cut_off_by_database(db_task_result):
            self.cut_off.append(run)
            self.requeue_cut_off()

    def requeue_cut_off(self) -> None:
        """Make the runs a database error cut off READY again; raises while the database
        is still away (the run loop waits and calls again)."""
        while self.cut_off:
            task_id, started_at = self.cut_off[0]
            task_requeue_cut_off(task_id=task_id, started_at=started_at)
            self.cut_off.pop(0)


class Command(DbWorkerCommand):
    help = "Run the background task worker; survives database restarts."

    def handle(self, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        worker.configure_signals()
        heartbeat = Heartbeat(worker.worker_id)
        heartbeat.start()
        try:
            worker.run()
        finally:
            heartbeat.stop()
            # If the database is away, the recovery sweep forgets the heartbeat in time.
            with contextlib.suppress(OperationalError, InterfaceError):
                worker_heartbeat_end(worker_id=worker.worker_id)
