"""Periodic work: contexts register (name, interval, task) in AppConfig.ready, and the
`scheduler` command enqueues each one when it is due.

Every registered task must be an idempotent sweep, so two schedulers (or a scheduler and
a manual run) enqueueing the same sweep at once do no harm. Core knows no context: it
takes the task object itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
