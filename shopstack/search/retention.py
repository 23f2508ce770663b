"""How long the search log is kept: rows older than SEARCH_LOG_KEEP_DAYS (180) go.

The staff's reports look back 30 days (selectors.top_queries); half a year leaves room
to compare seasons. Core's retention sweep calls this (registered in apps.py)."""

from __future__ import annotations

from datetime import datetime

from shopstack.core.retention import delete_in_batches, keep_days
from shopstack.search.models import SearchQuery


def search_log_prune(now: datetime) -> int:
    """Delete search log rows older than the keeping time; returns how many."""
    cutoff = now - keep_days("SEARCH_LOG_KEEP_DAYS", 180)
    return delete_in_batches(SearchQuery.objects.filter(created_at__lt=cutoff))
