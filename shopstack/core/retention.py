"""Keeping tables that grow with every order or visit to a bounded size.

One periodic sweep (`retention_prune`, core.tasks) deletes what is past its keeping time:

- outbox events handed out more than OUTBOX_KEEP_DAYS (7) ago whose deliveries are all
  done (an event with a failing or dead delivery stays until it is done or deleted);
- idempotency keys older than IDEMPOTENCY_KEYS_KEEP_DAYS (7): a client repeating a
  request later than that is taken as making a new one;
- expired database sessions (what Django's `clearsessions` does; cache sessions expire
  by themselves);
- whatever contexts registered with `retention_register` (the search log, for one): core
  knows no context, a context hands core its pruning function.

Every deletion goes in batches of BATCH_SIZE rows, each its own short transaction, so a
large backlog never holds a long lock (SQLite has one writer at a time).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from shopstack.core.models import IdempotencyRecord, OutboxDelivery, OutboxEvent

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
Pruner = Callable[[datetime], int]
_pruners: dict[str, Pruner] = {}


def retention_register(*, name: str, prune: Pruner) -> None:
    """Have the retention sweep call `prune(now)`, which deletes what is past its keeping
    time (in batches: see `delete_in_batches`) and returns how many rows went."""
    _pruners[name] = prune


def keep_days(setting: str, default: int) -> timedelta:
    return timedelta(days=int(getattr(settings, setting, default)))


def delete_in_batches(queryset: QuerySet[Any], *, batch_size: int = BATCH_SIZE) -> int:
    """Delete the rows of `queryset`, `batch_size` at a time, each batch in its own
    transaction; returns how many rows of the queryset's model were deleted."""
    model = queryset.model
    deleted = 0
    while ids := list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        _, per_model = model._default_manager.filter(pk__in=ids).delete()
        deleted += per_model.get(model._meta.label, 0)
        if len(ids) < batch_size:
            break
    return deleted


def outbox_prune(*, now: datetime) -> int:
    """Events handed out before the keeping time, with every delivery done (or none)."""
    unfinished = OutboxDelivery.objects.filter(event=OuterRef("pk")).exclude(state=OutboxDelivery.State.DONE)
    old = OutboxEvent.objects.filter(dispatched_at__lt=now - keep_days("OUTBOX_KEEP_DAYS", 7)).exclude(
        Exists(unfinished)
    )
    return delete_in_batches(old)


def idempotency_keys_prune(*, now: datetime) -> int:
    cutoff = now - keep_days("IDEMPOTENCY_KEYS_KEEP_DAYS", 7)
    return delete_in_batches(IdempotencyRecord.objects.filter(created_at__lt=cutoff))


def sessions_prune_expired(*, now: datetime) -> int:
    """Expired sessions of a database-backed engine (db, cached_db); 0 for the others."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    get_model = getattr(store, "get_model_class", None)
    if get_model is None:
        return 0
    return delete_in_batches(get_model().objects.filter(expire_date__lt=now))


def retention_prune(*, now: datetime | None = None) -> dict[str, int]:
    """Run every pruning; returns rows deleted per kind. One failing pruning is logged and
    does not stop the others."""
    now = now or timezone.now()
    pruners: dict[str, Pruner] = {
        "outbox": lambda at: outbox_prune(now=at),
        "idempotency_keys": lambda at: idempotency_keys_prune(now=at),
        "sessions": lambda at: sessions_prune_expired(now=at),
        **_pruners,
    }
    counts: dict[str, int] = {}
    for name, prune in pruners.items():
        try:
            counts[name] = prune(now)
        except Exception:
            logger.exception("Retention: pruning %s failed", name)
            counts[name] = -1
    return counts
