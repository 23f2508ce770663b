"""What visitors search for, what they find, and whether searching leads to orders.

A query is counted normalised: lower case, runs of spaces as one, no spaces at either end,
so "Blue  Mug " and "blue mug" are one query. Zero-result searches are search events with
result_count 0 (unknown counts are not zero). Click-through is search_click events per
search; search-to-purchase conversion is sessions with a search that placed an order per
session with a search (the order may follow the search in any way within the session).

Filters: all of them (scope.visitor_events).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.scope import visitor_events

# Written out rather than \s, which means slightly different things to DuckDB's RE2 and
# Spark's Java regular expressions (\x0b is vertical tab).
_SPACES = r"[\t\n\x0b\f\r ]+"


@dataclass(frozen=True)
class Query:
    query: str  # normalised
    searches: int
    sessions: int
    zero_result_searches: int
    clicks: int

    @property
    def click_through(self) -> float | None:
        return self.clicks / self.searches if self.searches else None


@dataclass(frozen=True)
class Search:
    searches: int
    search_sessions: int
    clicks: int
    zero_result_searches: int
    converted_search_sessions: int  # sessions with a search and an order placed
    top_queries: tuple[Query, ...]  # most searched first
    zero_result_queries: tuple[Query, ...]  # most zero-result searches first

    @property
    def click_through(self) -> float | None:
        return self.clicks / self.searches if self.searches else None

    @property
    def zero_result_rate(self) -> float | None:
        return self.zero_result_searches / self.searches if self.searches else None

    @property
    def conversion_rate(self) -> float | None:
        return self.converted_search_sessions / self.search_sessions if self.search_sessions else None


def normalised(query: ir.StringValue) -> ir.StringValue:
    return query.lower().re_replace(_SPACES, " ").strip()


def search(engine: WarehouseEngine, period: Period, *, limit: int = 10) -> Search:
    if not 1 <= limit <= 500:
        raise ValueError("limit: from 1 to 500.")
    events = visitor_events(engine, period)
    events = events.filter(events.kind.isin(("search", "search_click", "order_placed")))
    totals = _totals(engine, events)
    top, zero = _queries(engine, events, limit)
    return Search(
        searches=totals.get("searches", 0),
        search_sessions=totals.get("search_sessions", 0),
        clicks=totals.get("clicks", 0),
        zero_result_searches=totals.get("zero_result_searches", 0),
        converted_search_sessions=totals.get("converted", 0),
        top_queries=top,
        zero_result_queries=zero,
    )


def _totals(engine: WarehouseEngine, events: ir.Table) -> dict[str, int]:
    searched = events.kind == "search"
    per_session = events.group_by("session_id").aggregate(
        searched=ibis.ifelse(searched, 1, 0).max(),
        ordered=ibis.ifelse(events.kind == "order_placed", 1, 0).max(),
    )
    row = engine.rows(
        ibis.union(
            events.aggregate(
                searches=ibis.ifelse(searched, 1, 0).sum().cast("int64"),
                search_sessions=ibis.ifelse(searched, events.session_id, ibis.literal(None, "string"))
                .nunique()
                .cast("int64"),
                clicks=ibis.ifelse(events.kind == "search_click", 1, 0).sum().cast("int64"),
                zero_result_searches=ibis.ifelse(searched & (events.result_count == 0), 1, 0)
                .sum()
                .cast("int64"),
                converted=ibis.literal(0, "int64"),
            ),
            per_session.aggregate(
                searches=ibis.literal(0, "int64"),
                search_sessions=ibis.literal(0, "int64"),
                clicks=ibis.literal(0, "int64"),
                zero_result_searches=ibis.literal(0, "int64"),
                converted=(per_session.searched * per_session.ordered).sum().cast("int64"),
            ),
        )
    )
    totals: dict[str, int] = {}
    for part in row:
        for name, value in part.items():
            totals[name] = totals.get(name, 0) + int(value or 0)
    return totals


def _queries(
    engine: WarehouseEngine, events: ir.Table, limit: int
) -> tuple[tuple[Query, ...], tuple[Query, ...]]:
    """Both lists in one pass: each query ranked by searches and by zero-result searches."""
    searches = events.filter(events.kind.isin(("search", "search_click")))
    searches = searches.mutate(query=normalised(searches.search_query.fill_null("")))
    searches = searches.filter(searches.query != "")
    searched = searches.kind == "search"
    per_query = searches.group_by("query").aggregate(
        searches=ibis.ifelse(searched, 1, 0).sum().cast("int64"),
        sessions=ibis.ifelse(searched, searches.session_id, ibis.literal(None, "string"))
        .nunique()
        .cast("int64"),
        zero_result_searches=ibis.ifelse(searched & (searches.result_count == 0), 1, 0).sum().cast("int64"),
        clicks=ibis.ifelse(searches.kind == "search_click", 1, 0).sum().cast("int64"),
    )
    ranked = per_query.mutate(
        top_rank=ibis.row_number().over(order_by=[ibis.desc(per_query.searches), per_query.query]),
        zero_rank=ibis.row_number().over(
            order_by=[ibis.desc(per_query.zero_result_searches), per_query.query]
        ),
    )
    ranked = ranked.filter(
        (ranked.top_rank < limit) | ((ranked.zero_result_searches > 0) & (ranked.zero_rank < limit))
    )
    rows = engine.rows(ranked)
    top = sorted((row for row in rows if row["top_rank"] < limit), key=lambda row: row["top_rank"])
    zero = sorted(
        (row for row in rows if row["zero_result_searches"] > 0 and row["zero_rank"] < limit),
        key=lambda row: row["zero_rank"],
    )
    return tuple(_query(row) for row in top), tuple(_query(row) for row in zero)


def _query(row: dict[str, Any]) -> Query:
    return Query(
        query=str(row["query"]),
        searches=int(row["searches"]),
        sessions=int(row["sessions"]),
        zero_result_searches=int(row["zero_result_searches"]),
        clicks=int(row["clicks"]),
    )
