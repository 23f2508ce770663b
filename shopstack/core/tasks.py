"""Background work that belongs to no single context."""

from __future__ import annotations

from django.tasks import task

from shopstack.core.events import outbox_dispatch_pending


@task()
def outbox_dispatch() -> int:
    return outbox_dispatch_pending()
