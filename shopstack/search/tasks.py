"""Background work for search: rebuilding the popular searches autocomplete suggests."""

from __future__ import annotations

from django.tasks import task

from shopstack.search.popular import popular_searches_refresh
from shopstack.search.reference import search_reference


@task()
def popular_searches_rebuild() -> int:
    """Enqueued every popular.REFRESH_SECONDS by the scheduler; running it twice is safe."""
    return popular_searches_refresh(blocked=search_reference().blocked)
