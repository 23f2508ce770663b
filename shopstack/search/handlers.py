"""Reactions to domain events (catch the search index up in a worker) and to a product's
deletion (take it out of the engine)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction

from shopstack.core.events import Event
from shopstack.search.indexing import SYNC_QUEUED_KEY, index_sync, search_backend


def on_search_index_behind(event: Event) -> None:
    """A search found more changed products than it reindexes inline: do them all."""
    cache.delete(SYNC_QUEUED_KEY)
    index_sync(limit=None)


def on_product_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    """The database drops a deleted product's document with it, but not what the engine keeps
    beside it (PostgreSQL's and FTS5's text rows, tantivy's own index), which would go on
    being suggested and counted. Removed once the deletion commits: a rolled-back deletion
    keeps its product searchable."""
    product_id = instance.pk
    transaction.on_commit(lambda: search_backend().remove([product_id]), robust=True)
