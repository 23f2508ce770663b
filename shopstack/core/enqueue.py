"""Enqueueing a task from inside a transaction, as part of it when the queue allows.

A task about data a transaction writes must not start before that data is visible, nor
be queued for a transaction that rolls back. When the queue is a table of the very
database the transaction writes to (the database tasks backend), the task row is simply
written in the transaction: it commits or rolls back with the data, atomically, and the
request pays for one commit instead of two (on PostgreSQL each durable commit waits for
the disk, about 4 ms here). Any other backend gets the task after commit.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import router, transaction
from django.tasks import Task


def _queue_is_in_database(task: Task, using: str) -> bool:
    try:
        from django_tasks_db import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # the database backend is not installed
        return False
    return isinstance(task.get_backend(), DatabaseBackend) and router.db_for_write(DBTaskResult) == using


def enqueue_with_transaction(task: Task, enqueue: Callable[[], object], *, using: str | None = None) -> None:
    """Run `enqueue` (which enqueues `task`) as part of the current transaction if the
    task's queue is stored in the same database, else once the transaction commits.
    Outside a transaction both come to the same: it runs now."""
    if enqueued_in_transaction(task, using=using):
        enqueue()
    else:
        transaction.on_commit(enqueue, using=using)


def enqueued_in_transaction(task: Task, *, using: str | None = None) -> bool:
    """Whether `enqueue_with_transaction` would write `task` in the current transaction."""
    connection = transaction.get_connection(using)
    return connection.in_atomic_block and _queue_is_in_database(task, connection.alias)
