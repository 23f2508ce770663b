"""Reads for staff: which searches shoppers make, and which find nothing."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Avg, Count, Q
from django.utils import timezone

from shopstack.search.models import SearchDocument, SearchQuery
from shopstack.search.reference import search_reference


def top_queries(*, days: int = 30, limit: int = 50, zero_results: bool = False) -> list[dict[str, object]]:
    """Most frequent searches in the last `days` (only those that found nothing when
    `zero_results`), with how often, average results and click-through."""
    rows = SearchQuery.objects.filter(created_at__gte=timezone.now() - timedelta(days=days))
    if zero_results:
        rows = rows.filter(result_count=0)
    return list(
        rows.values("normalized")
        .annotate(
            times=Count("id"),
            results=Avg("result_count"),
            clicks=Count("id", filter=Q(clicked_product__isnull=False)),
        )
        .order_by("-times", "normalized")[:limit]
    )


def facet_names() -> set[str]:
    """Names a search can be filtered by: "category" and the filterable attributes (at most a
    minute old, see reference.py)."""
    return search_reference().facet_names


def documents_by_id(ids: list[int]) -> dict[int, SearchDocument]:
    """The indexed products for these hits (one query)."""
    return SearchDocument.objects.in_bulk(ids)


def facet_titles() -> dict[str, str]:
    """Headings for facets: "category" and the filterable attributes' names (at most a minute
    old, see reference.py)."""
    return dict(search_reference().facet_titles)
