"""Periodic work: contexts register (name, interval, task) in AppConfig.ready, and the
`scheduler` command enqueues each one when it is due.

Any number of schedulers may run (one per machine, say): a lease row per sweep says when
it is next due, and only the scheduler whose conditional update moves it on enqueues the
sweep, so each runs once per interval across all of them. Sweeps must still be
idempotent (a manual `scheduler --once` runs them regardless). Core knows no context: it
takes the task object itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shopstack.core.models import PeriodicLease


@dataclass(frozen=True)
class Periodic:
    name: str
    interval_seconds: int
    task: Any  # a django.tasks Task taking no arguments


_registry: dict[str, Periodic] = {}


def periodic_register(*, name: str, interval_seconds: int, task: Any) -> None:
    """Run `task` every `interval_seconds` (re-registering a name replaces it)."""
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    _registry[name] = Periodic(name=name, interval_seconds=interval_seconds, task=task)


def periodic_all() -> list[Periodic]:
    return sorted(_registry.values(), key=lambda p: p.name)


def periodic_claim(*, name: str, interval_seconds: float, now: datetime) -> tuple[bool, datetime]:
    """Take the turn to run `name` if it is due at `now`: (True, next due time) for the one
    caller whose conditional update moved the lease on, (False, when it is next due) for
    everyone else. Works alike on SQLite and PostgreSQL (a second update of the row waits
    for the first and then no longer matches). Schedulers' clocks should agree (NTP): a
    clock running ahead takes its turns early by that much."""
    next_run_at = now + timedelta(seconds=interval_seconds)
    if PeriodicLease.objects.filter(name=name, next_run_at__lte=now).update(next_run_at=next_run_at):
        return True, next_run_at
    current = PeriodicLease.objects.filter(name=name).values_list("next_run_at", flat=True).first()
    if current is not None:
        return False, current
    # The first claim ever: create the row as due, then race for it like any other turn.
    PeriodicLease.objects.bulk_create([PeriodicLease(name=name, next_run_at=now)], ignore_conflicts=True)
    return periodic_claim(name=name, interval_seconds=interval_seconds, now=now)
