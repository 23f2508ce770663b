"""Background indexing: catch the search index up with catalog changes."""

from __future__ import annotations

from django.tasks import task

from shopstack.search.indexing import index_sync


@task()
def search_sync() -> int:
    """Reindex every product changed since the index last caught up."""
    from django.core.cache import cache

    cache.delete("search:sync-queued")
    return index_sync(limit=None)
