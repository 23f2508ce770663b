"""Background work for checkout."""

from __future__ import annotations

from django.tasks import task

from shopstack.checkout.services import checkouts_abandon_stale


@task()
def checkouts_abandon() -> int:
    """Close stale checkouts as abandoned (see services.abandon); run periodically."""
    return checkouts_abandon_stale()
