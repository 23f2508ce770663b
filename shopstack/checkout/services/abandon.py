"""Abandoned checkouts: a shopper who left without paying.

Their stock goes back on sale when the reservation lapses (inventory's expiry sweep, and
every stock change sweeps the lapsed reservations of what it locks). A checkout left
alone for `CHECKOUT_ABANDONED_AFTER_SECONDS` after that is closed as abandoned, so open
checkouts are the ones in progress; its cart stays open for the shopper to come back to.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from shopstack.checkout.models import Checkout
from shopstack.inventory.services import stock_release


def checkouts_abandon_stale(*, now: datetime | None = None, batch_size: int = 200) -> int:
    """Close as abandoned every open checkout whose reservation lapsed and that nobody
    touched for CHECKOUT_ABANDONED_AFTER_SECONDS, releasing anything it still holds.
    One being placed (its place key claimed) is left alone. Returns how many were
    closed; safe to run from several workers at once (each checkout is closed once)."""
    now = now or timezone.now()
    idle_since = now - timedelta(seconds=int(settings.CHECKOUT_ABANDONED_AFTER_SECONDS))
    stale = Q(status=Checkout.Status.OPEN, place_key="", updated_at__lte=idle_since) & (
        Q(reserved_until__isnull=True) | Q(reserved_until__lte=now)
    )
    closed = 0
    while True:
        batch = list(Checkout.objects.filter(stale).order_by("pk").values_list("pk", "token")[:batch_size])
        if not batch:
            return closed
        for pk, token in batch:
            # The conditional UPDATE decides: a shopper who came back (or another sweep)
            # in the meantime keeps the checkout, or has closed it already.
            if Checkout.objects.filter(stale, pk=pk).update(status=Checkout.Status.ABANDONED, updated_at=now):
                stock_release(ref=f"checkout:{token}")
                closed += 1
        if len(batch) < batch_size:
            return closed
