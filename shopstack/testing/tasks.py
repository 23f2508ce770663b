"""Switching the tasks backend inside a test."""

from __future__ import annotations

from typing import Any


def use_tasks_backend(settings: Any, backend: str) -> None:
    """Switch the task backend for this test (Django caches backends: reset them too)."""
    from asgiref.local import Local
    from django.tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": backend, "QUEUES": ["default"]}}
    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None
    task_backends._connections = Local(task_backends.thread_critical)
