"""Counts of the events the events API refused, per UTC day and reason: never the events
themselves, only how many, so a dashboard can show that an app release sends bad data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import connection

from shopstack.analytics.app_events import Reason
from shopstack.analytics.models import RejectedEventCount


def rejections_record(counts: Mapping[Reason, int], *, day: date) -> None:
    """Add `counts` to the day's totals: one statement, safe against concurrent requests."""
    rows = [(reason, amount) for reason, amount in counts.items() if amount > 0]
    if not rows:
        return
    table = connection.ops.quote_name(RejectedEventCount._meta.db_table)
    stamp = connection.ops.adapt_datefield_value(day)
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    parameters: list[Any] = []
    for reason, amount in rows:
        parameters += [stamp, str(reason), amount]
    # The same upsert on SQLite and PostgreSQL; Django's own (bulk_create with
    # update_conflicts) can only overwrite the count, not add to it.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, reason, count) VALUES {values} "
            f"ON CONFLICT (day, reason) DO UPDATE SET count = {table}.count + excluded.count",
            parameters,
        )


def rejected_event_counts(*, since: date, until: date) -> dict[date, Counter[str]]:
    """Refused events by day (from `since` to `until`, both included) and reason."""
    counts: dict[date, Counter[str]] = {}
    rows = RejectedEventCount.objects.filter(day__gte=since, day__lte=until).values_list(
        "day", "reason", "count"
    )
    for day, reason, count in rows:
        counts.setdefault(day, Counter())[reason] = count
    return counts
