"""The search log is pruned by core's retention sweep (a hook search registers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shopstack.core.retention import retention_prune
from shopstack.search.models import SearchQuery

pytestmark = pytest.mark.django_db


def test_search_log_rows_older_than_the_keeping_time_are_pruned_by_the_retention_sweep(settings):
    settings.SEARCH_LOG_KEEP_DAYS = 30
    for query in ("old", "recent"):
        SearchQuery.objects.create(query=query, normalized=query, result_count=1)
    now = timezone.now()
    SearchQuery.objects.filter(query="old").update(created_at=now - timedelta(days=31))

    assert retention_prune(now=now)["search_log"] == 1
    assert list(SearchQuery.objects.values_list("query", flat=True)) == ["recent"]
