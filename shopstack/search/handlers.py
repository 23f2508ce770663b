"""Reactions to domain events: catch the search index up in a worker."""

from __future__ import annotations

from django.core.cache import cache

from shopstack.core.events import Event
from shopstack.search.indexing import SYNC_QUEUED_KEY, index_sync


def on_search_index_behind(event: Event) -> None:
    """A search found more changed products than it reindexes inline: do them all."""
    cache.delete(SYNC_QUEUED_KEY)
    index_sync(limit=None)
