"""Enqueue the periodic sweeps that contexts registered (shopstack.core.periodic).

Each sweep is due every `interval_seconds`, counted in this process; the first round
runs at start. Several schedulers may run at once (every sweep is idempotent), at the
cost of some duplicate sweeps. SIGINT/SIGTERM stop it between rounds.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from shopstack.core.periodic import periodic_all

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue registered periodic tasks (resume sweeps, expiries, outbox) when they are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue every periodic task once and exit.")
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between checks.")

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        tasks = periodic_all()
        self.stdout.write(
            "Scheduler: " + ", ".join(f"{p.name} every {p.interval_seconds}s" for p in tasks), ending="\n"
        )
        self.stdout.flush()
        next_run = {p.name: 0.0 for p in tasks}
        while self.running:
            # As Django does around each request: a connection that failed (the database
            # restarted) or grew old is closed, so the next enqueue opens a fresh one; never
            # one that a caller (a test, a shell) holds a transaction open on.
            if not connection.in_atomic_block:
                close_old_connections()
            now = time.monotonic()
            for periodic in tasks:
                if now < next_run[periodic.name]:
                    continue
                next_run[periodic.name] = now + periodic.interval_seconds
                try:
                    periodic.task.enqueue()
                except Exception:  # a database blip must not end the scheduler
                    logger.exception("Could not enqueue %s", periodic.name)
            if options["once"]:
                return
            time.sleep(options["tick"])
