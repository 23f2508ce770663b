"""Reactions to domain events (catch the search index up in a worker) and to a product's
deletion (take it out of the engine)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from shopstack.catalog.models import Product
from shopstack.core.events import Event
from shopstack.search.indexing import SYNC_QUEUED_KEY, index_sync, search_backend


def on_search_index_behind(event: Event) -> None:
    """A search found more changed products than it reindexes inline: do them all."""
    cache.delete(SYNC_QUEUED_KEY)
    index_sync(limit=None)


class _Removal:
    """The products deleted in one transaction, taken out of the engine in one write when it
    commits (an admin's bulk delete of thousands is then one tantivy commit, not thousands)."""

    def __init__(self, product_id: int) -> None:
        self.ids = [product_id]

    def __call__(self) -> None:
        # A deletion inside a savepoint that was rolled back put its product back.
        back = set(Product.objects.filter(pk__in=self.ids).values_list("pk", flat=True))
        gone = [pk for pk in self.ids if pk not in back]
        if gone:
            search_backend().remove(gone)


def on_product_deleted(sender: Any, instance: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """The database drops a deleted product's document with it, but not what the engine keeps
    beside it (PostgreSQL's and FTS5's text rows, tantivy's own index), which would go on
    being suggested and counted. Removed once the deletion commits: a rolled-back deletion
    keeps its product searchable."""
    # run_on_commit: the callbacks still waiting for this transaction (a rollback drops them).
    waiting = (func for _sids, func, _robust in connections[using].run_on_commit)
    removal = next((func for func in waiting if isinstance(func, _Removal)), None)
    if removal is None:
        transaction.on_commit(_Removal(instance.pk), using=using, robust=True)
    else:
        removal.ids.append(instance.pk)
