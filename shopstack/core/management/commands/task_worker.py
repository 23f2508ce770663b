"""The task worker `scripts/serve` runs: django-tasks-db's `db_worker`, kept alive when
the database goes away.

The library's worker raises out of its loop on any database error other than a lock, so
a PostgreSQL restart (or failover) would end the worker, and with it the whole
`scripts/serve` group. This one closes the broken connections, waits with a growing pause
and carries on; a task that was running when the connection broke is left claimed, and
the contexts' resume sweeps pick its work up again (order workflow steps are idempotent).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import connections
from django.db.utils import InterfaceError, OperationalError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

FIRST_PAUSE = 0.5  # seconds
LONGEST_PAUSE = 5.0


def close_broken_connections() -> None:
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:  # the socket is already gone; forgetting it is all that is left
            connection.connection = None


class ResilientWorker(Worker):
    def run(self) -> None:
        pause = FIRST_PAUSE
        while self.running:
            started = time.monotonic()
            try:
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
        worker.run()
