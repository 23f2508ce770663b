"""Enqueue the periodic sweeps that contexts registered (shopstack.core.periodic).

Each sweep is due every `interval_seconds`. Several schedulers may run at once: a lease
per sweep in the database (periodic_claim) lets one of them, and only one, enqueue it
each interval; a scheduler that starts or restarts takes no extra turn. SIGINT/SIGTERM
stop it between rounds. `--only` and `--interval` narrow it to some sweeps at another
pace (for tests and for running a sweep by hand at a quick pace).
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import datetime
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from shopstack.core.periodic import Periodic, periodic_all, periodic_claim

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Enqueue registered periodic tasks (resume sweeps, expiries, outbox) when they are due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Enqueue every periodic task once, turn or not, and exit."
        )
        parser.add_argument("--tick", type=float, default=1.0, help="Seconds between checks.")
        parser.add_argument(
            "--only", action="append", metavar="NAME", help="Only this sweep (repeat for several)."
        )
        parser.add_argument(
            "--interval", type=float, metavar="SECONDS", help="Run the sweeps every SECONDS instead."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.running = True

        def stop(signum: int, frame: FrameType | None) -> None:
            self.running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        tasks = self._selected(options["only"])
        interval: float | None = options["interval"]
        if interval is not None and interval <= 0:
            raise CommandError("--interval must be positive")
        every = {p.name: interval or p.interval_seconds for p in tasks}
        self.stdout.write("Scheduler: " + ", ".join(f"{p.name} every {every[p.name]:g}s" for p in tasks))
        self.stdout.flush()
        if options["once"]:
            for periodic in tasks:
                self._enqueue(periodic)
            return
        # When each sweep is next due, as the lease said last time: the database is only
        # asked when a sweep may be due.
        next_due: dict[str, datetime | None] = {p.name: None for p in tasks}
        while self.running:
            # As Django does around each request: a connection that failed (the database
            # restarted) or grew old is closed, so the next query opens a fresh one; never
            # one that a caller (a test, a shell) holds a transaction open on.
            if not connection.in_atomic_block:
                close_old_connections()
            now = timezone.now()
            for periodic in tasks:
                due_at = next_due[periodic.name]
                if due_at is not None and now < due_at:
                    continue
                try:
                    next_due[periodic.name] = self._take_turn(periodic, every[periodic.name], now)
                except Exception:  # a database blip must not end the scheduler
                    logger.exception("Could not enqueue %s", periodic.name)
            time.sleep(options["tick"])

    def _selected(self, names: list[str] | None) -> list[Periodic]:
        registered = periodic_all()
        if not names:
            return registered
        unknown = set(names) - {p.name for p in registered}
        if unknown:
            raise CommandError(f"No periodic task named {', '.join(sorted(unknown))}")
        return [p for p in registered if p.name in names]

    def _take_turn(self, periodic: Periodic, interval: float, now: datetime) -> datetime:
        """Enqueue the sweep if this scheduler wins its turn; returns when it is next due.
        The lease moves in the same transaction as the enqueue: if the enqueue fails, the
        turn is not lost (and with the database task queue both commit together)."""
        with transaction.atomic():
            won, next_at = periodic_claim(name=periodic.name, interval_seconds=interval, now=now)
            if won:
                periodic.task.enqueue()
        return next_at

    def _enqueue(self, periodic: Periodic) -> None:
        try:
            periodic.task.enqueue()
        except Exception:
            logger.exception("Could not enqueue %s", periodic.name)
