"""Facet counts from tantivy aggregations over fast fields.

Facet values are counted by number (`facet_id`, a hash of "name/value/label"): a terms
aggregation over integers costs about a fifth of one over the strings (`facet_label`), which
each segment has to look up in its term dictionary. The numbers are turned back into facet
values from a per-process table (`_KEYS`; the ids are content hashes, so it holds for any
index); numbers it does not know yet (the process's first searches, a new category) are looked
up once with a string aggregation over the documents just counted that carry them.

Multi-select facets, as sql.py counts them: each facet is counted under every filter but
its own (with colour=red chosen the colour facet still counts blue and green), and so are
the price buckets (without the price range) and the in-stock count (without the in-stock
filter). One aggregation request counts everything the chosen filters do not touch; each
chosen facet costs one more.

Very broad matches (more than SAMPLE_ABOVE) are counted over their SAMPLE best-selling
products and scaled, as the SQLite engine does over its window (docs/search.md, "Very broad
queries"): an aggregation costs about a microsecond per facet value of every document it
reads, 45 ms over 100,000 products. `total` stays exact (tantivy counts matches cheaply);
the facet counts are then estimates and the result says so (`exhaustive` False).
"""

from __future__ import annotations

from typing import Any

import tantivy

from shopstack.search.backends.base import PRICE_BUCKETS, FacetCount, SearchFilters
from shopstack.search.backends.tantivy_engine import queries
from shopstack.search.backends.tantivy_engine.schema import SEP, facet_id, pence

# More buckets than any catalog has facet values, so that every count is exact.
MAX_FACET_VALUES = 65_000
SAMPLE_ABOVE = 2_000
SAMPLE = 1_000


def _price_ranges() -> list[dict[str, Any]]:
    ranges = []
    for key, _label, low, high in PRICE_BUCKETS:
        bucket: dict[str, Any] = {"key": key}
        if low is not None:
            bucket["from"] = pence(low)
        if high is not None:
            bucket["to"] = pence(high)  # exclusive, as in PRICE_BUCKETS
        ranges.append(bucket)
    return ranges


FACETS_AGG = {"terms": {"field": "facet_id", "size": MAX_FACET_VALUES, "segment_size": MAX_FACET_VALUES}}
LABELS_AGG = {"terms": {"field": "facet_label", "size": MAX_FACET_VALUES, "segment_size": MAX_FACET_VALUES}}
# facet_id -> (name, value, label), for every facet value this process has counted.
_KEYS: dict[int, tuple[str, str, str]] = {}
MAX_KEYS = 500_000  # forgotten (and looked up again) past this many: labels renamed many times
PRICE_AGG = {"range": {"field": "price_pence", "ranges": _price_ranges()}}
STOCK_AGG = {"terms": {"field": "in_stock", "size": 2}}


class Counter:
    """Runs the aggregations, over a best-selling sample when a match set is very broad."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher = searcher

    def aggregate(self, query: tantivy.Query, wanted: dict[str, Any], matches: int) -> dict[str, Any]:
        """The aggregation's result over the `matches` products of `query`, every doc_count
        scaled to the whole match set; facet ids named (see `_name_facets`)."""
        if not wanted:
            return {}
        if matches <= SAMPLE_ABOVE:
            result = self.searcher.aggregate(query, wanted)
            _name_facets(self.searcher, query, result)
            return result
        # The SAMPLE best sellers: every match whose best-selling key is at least the
        # SAMPLE-th's (keys are unique: units sold, then id).
        best = self.searcher.search(
            query, SAMPLE, count=False, order_by_field="key_sold", order=tantivy.Order.Desc
        )
        threshold = int(best.hits[-1][0])
        at_least = tantivy.Query.range_query(
            queries.SCHEMA, "key_sold", tantivy.FieldType.Integer, threshold, 2**63 - 1
        )
        scale = matches / SAMPLE
        sample = queries.restricted(query, at_least)
        result = self.searcher.aggregate(sample, wanted)
        _name_facets(self.searcher, sample, result)
        for part in result.values():
            for bucket in part.get("buckets", []):
                count = int(bucket["doc_count"])
                bucket["doc_count"] = max(1, round(count * scale)) if count else 0
        return result


def _name_facets(searcher: tantivy.Searcher, counted: tantivy.Query, result: dict[str, Any]) -> None:
    """Put each facet bucket's (name, value, label) in place of its number; numbers not in
    `_KEYS` are looked up among the documents of `counted` that carry them."""
    if "facets" not in result:
        return
    buckets = result["facets"].get("buckets", [])
    missing = [bucket["key"] for bucket in buckets if bucket["key"] not in _KEYS]
    if missing:
        carrying = queries.restricted(
            counted, tantivy.Query.term_set_query(queries.SCHEMA, "facet_id", missing)
        )
        labels = searcher.aggregate(carrying, {"labels": LABELS_AGG})
        if len(_KEYS) > MAX_KEYS:
            _KEYS.clear()
        for bucket in labels["labels"]["buckets"]:
            key = str(bucket["key"])
            name, value, label = key.split(SEP, 2)
            _KEYS[facet_id(key)] = (name, value, label)
    # A number missing still would be a hash clash between two labels: left out.
    result["facets"]["buckets"] = [
        {"key": _KEYS[bucket["key"]], "doc_count": bucket["doc_count"]}
        for bucket in buckets
        if bucket["key"] in _KEYS
    ]


def _facet_buckets(result: dict[str, Any]) -> list[tuple[str, str, str, int]]:
    return [
        (*bucket["key"], int(bucket["doc_count"])) for bucket in result.get("facets", {}).get("buckets", [])
    ]


def _price_counts(result: dict[str, Any]) -> list[FacetCount]:
    counts = {bucket["key"]: int(bucket["doc_count"]) for bucket in result["price"]["buckets"]}
    return [
        FacetCount(key, label, counts.get(key, 0))
        for key, label, _low, _high in PRICE_BUCKETS
        if counts.get(key)
    ]


def _in_stock_count(result: dict[str, Any]) -> int:
    return sum(int(b["doc_count"]) for b in result["stock"]["buckets"] if b.get("key_as_string") == "true")


class FacetCounting:
    """Facet counts for the matches of `match` under `filters` (`total` of them): whether they
    are exact is known at once (`exhaustive`; False: estimated from a sample), the counts
    themselves are worked out by `counts()`, which a result calls only when they are read."""

    def __init__(
        self, searcher: tantivy.Searcher, match: tantivy.Query, filters: SearchFilters, total: int
    ) -> None:
        self.searcher, self.match, self.filters, self.total = searcher, match, filters, total
        self.chosen = sorted(name for name, values in filters.facets.items() if values)
        self.priced = filters.min_price is not None or filters.max_price is not None
        self.stocked = filters.in_stock is not None
        self._matches: dict[str | None, int] = {None: total}
        self.exhaustive = self._exhaustive()

    def _under(self, ignore: str | None) -> tantivy.Query:
        return queries.restricted(self.match, *queries.filter_queries(self.filters, ignore=ignore))

    def _count(self, ignore: str | None) -> int:
        """How many products match under every filter but `ignore`'s."""
        if ignore not in self._matches:
            self._matches[ignore] = self.searcher.search(self._under(ignore), 1, count=True).count  # type: ignore[attr-defined]
        return self._matches[ignore]

    def _counted_sets(self) -> list[str | None]:
        """The match sets aggregated: all filters (when anything matches), then each chosen
        filter left out in turn."""
        sets: list[str | None] = [None] if self.total else []
        sets += ["price"] if self.priced else []
        sets += ["in_stock"] if self.stocked else []
        return sets + list(self.chosen)

    def _exhaustive(self) -> bool:
        if not self.total and not (self.chosen or self.priced or self.stocked):
            return True
        return all(self._count(ignore) <= SAMPLE_ABOVE for ignore in self._counted_sets())

    def counts(self) -> dict[str, list[FacetCount]]:
        """Facet name -> counts."""
        total, chosen = self.total, self.chosen
        priced, stocked = self.priced, self.stocked
        if not total and not (chosen or priced or stocked):
            return {}
        counter = Counter(self.searcher)

        def aggregate(ignore: str | None, wanted: dict[str, Any]) -> dict[str, Any]:
            return counter.aggregate(self._under(ignore), wanted, self._count(ignore))

        wanted: dict[str, Any] = {}
        if total:
            wanted["facets"] = FACETS_AGG
        if not priced:
            wanted["price"] = PRICE_AGG
        if not stocked:
            wanted["stock"] = STOCK_AGG
        everything = aggregate(None, wanted) if total else {}
        if priced:
            everything["price"] = aggregate("price", {"price": PRICE_AGG})["price"]
        if stocked:
            everything["stock"] = aggregate("in_stock", {"stock": STOCK_AGG})["stock"]

        facets: dict[str, list[FacetCount]] = {}
        in_stock = _in_stock_count(everything) if "stock" in everything else 0
        if total or in_stock:
            facets["in_stock"] = [FacetCount("true", "In stock", in_stock)]
        prices = _price_counts(everything) if "price" in everything else []
        if prices:
            facets["price"] = prices
        for name, value, label, count in _facet_buckets(everything):
            if name not in chosen:
                facets.setdefault(name, []).append(FacetCount(value, label, count))
        for name in chosen:
            own = aggregate(name, {"facets": FACETS_AGG})
            for facet_name, value, label, count in _facet_buckets(own):
                if facet_name == name:
                    facets.setdefault(name, []).append(FacetCount(value, label, count))
        for name, counts in facets.items():
            if name not in ("price", "in_stock"):
                counts.sort(key=lambda c: (-c.count, c.label))
        return facets
