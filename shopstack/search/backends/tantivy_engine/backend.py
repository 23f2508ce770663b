"""The tantivy backend: matching, ranking, filtering, sorting and counting in a tantivy index
(tantivy-py) beside the database.

What the rest of the shop reads (search_searchdocument for hit pages and index freshness,
facets, the vocabulary for typo correction) is still written to the database by sql.py in
the same transaction, so the backend is a drop-in for the SQL engines. The index is derived
data and is committed before that transaction: a crash between the two leaves the index
ahead of the database's stamps, and the next index_sync reindexes those products again
(indexing twice is harmless). A lost or new index directory is filled by
`manage.py search_reindex` (see docs/search.md).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import tantivy
from django.core.cache import cache
from django.db import connection, transaction

from shopstack.search.backends.base import (
    Deferred,
    Hit,
    Placement,
    ProductDocument,
    SearchFilters,
    SearchResult,
    Suggestion,
    highlight,
    highlights,
)
from shopstack.search.backends.sql import CATEGORY_BOOST, SqlIndexBackend
from shopstack.search.backends.tantivy_engine import queries
from shopstack.search.backends.tantivy_engine.counting import FacetCounting
from shopstack.search.backends.tantivy_engine.schema import SUGGEST_FIELDS, TEXT_FIELDS, to_tantivy
from shopstack.search.backends.tantivy_engine.store import IndexStore, default_directory
from shopstack.search.models import SearchDocument
from shopstack.search.query import ParsedQuery, parse_query

logger = logging.getLogger(__name__)

# sort -> (fast field, order): each key orders by the value, then by product id (schema.sort_key).
ORDER_BY: dict[str, tuple[str, tantivy.Order]] = {
    "price": ("key_price", tantivy.Order.Asc),
    "-price": ("key_price", tantivy.Order.Desc),
    "newest": ("key_new", tantivy.Order.Desc),
    "best_selling": ("key_sold", tantivy.Order.Desc),
}
SUGGEST_WEIGHTS = {field: TEXT_FIELDS[field] for field in SUGGEST_FIELDS}


class TantivyBackend(SqlIndexBackend):
    """Any database (the index is a local directory: one host, any number of processes)."""

    vendors = ()

    def __init__(self, path: str | Path | None = None) -> None:
        self._path = Path(path) if path else None
        self._stores: dict[Path, IndexStore] = {}
        self._stores_lock = threading.Lock()
        self._local = threading.local()

    # The index ----------------------------------------------------------------------------

    @property
    def store(self) -> IndexStore:
        # Resolved on use: the test runner renames the database after settings are read.
        directory = self._path or default_directory()
        found = self._stores.get(directory)
        if found is None:
            with self._stores_lock:
                found = self._stores.setdefault(directory, IndexStore(directory))
        found.index  # noqa: B018 - opens (or creates) the index
        if found.created:
            found.created = False
            _forget_indexed_documents(found)
        return found

    def _writer(self) -> tantivy.IndexWriter:
        writer = getattr(self._local, "writer", None)
        if writer is None:
            raise RuntimeError("the tantivy writer is only open inside index(), remove() and clear()")
        return writer

    def _writing(self, work: Any) -> Any:
        """Run `work` (sql.py's database writes, which call the _text_* hooks) in one database
        transaction, with the index committed just before that transaction commits."""
        with transaction.atomic(), self.store.writing() as writer:
            self._local.writer = writer
            try:
                return work()
            finally:
                self._local.writer = None

    # Writing ------------------------------------------------------------------------------

    def index(self, documents: Iterable[ProductDocument]) -> int:
        return self._writing(lambda: super(TantivyBackend, self).index(documents))  # type: ignore[no-any-return]

    def remove(self, ids: Iterable[int]) -> None:
        self._writing(lambda: super(TantivyBackend, self).remove(ids))

    def clear(self) -> None:
        self._writing(lambda: super(TantivyBackend, self).clear())

    def _text_write(self, cursor: Any, documents: list[ProductDocument]) -> None:
        writer = self._writer()
        for document in documents:
            writer.add_document(to_tantivy(document))

    def _text_delete(self, cursor: Any, ids: list[int]) -> None:
        self._writer().delete_documents_by_query(queries.ids_query(ids))

    def _text_clear(self, cursor: Any) -> None:
        self._writer().delete_all_documents()

    # Searching ----------------------------------------------------------------------------

    def search(
        self,
        query: ParsedQuery,
        *,
        filters: SearchFilters,
        sort: str = "relevance",
        page: int = 1,
        per_page: int = 24,
        placement: Placement | None = None,
    ) -> SearchResult:
        placement = placement or Placement()
        searcher = self.store.searcher()
        text = queries.text_query(query)
        conditions = queries.filter_queries(filters)
        pinned = list(dict.fromkeys(placement.pinned))
        match = text
        if pinned:
            # Pinned products count among the matches even when their words do not match.
            pins = tantivy.Query.const_score_query(queries.ids_query(pinned), 0.0)
            match = tantivy.Query.boolean_query([(queries.Should, text), (queries.Should, pins)])
        offset = (max(page, 1) - 1) * per_page
        wanted = offset + per_page

        # (address, score) in page order: pinned, then boosted (relevance only), then the rest.
        ordered: list[tuple[tantivy.DocAddress, float]] = []
        if pinned:
            ordered.extend((address, 0.0) for address in self._pinned_in_order(searcher, pinned, conditions))
        excluded = list(pinned)
        if sort not in ORDER_BY and placement.boosted:
            boosted = [pk for pk in dict.fromkeys(placement.boosted) if pk not in excluded]
            if boosted:
                only = queries.ids_query(boosted)
                segment = queries.restricted(text, *conditions, only, excluding=_ids_or_none(excluded))
                ordered.extend(self._ranked(searcher, segment, query, wanted - len(ordered))[0])
                excluded.extend(boosted)
        total: int | None = None
        if len(ordered) < wanted:
            rest = queries.restricted(text, *conditions, excluding=_ids_or_none(excluded))
            # With nothing placed, `rest` is every match: its search counts them too, in the
            # same pass (a second pass over a broad match set costs as much again).
            counted = not excluded
            if sort in ORDER_BY:
                found, count = self._sorted(searcher, rest, sort, wanted - len(ordered), counted)
                ordered.extend((address, 0.0) for address in found)
            else:
                ranked, count = self._ranked(searcher, rest, query, wanted - len(ordered), counted)
                ordered.extend(ranked)
            total = count if counted else None

        hits = []
        for address, score in ordered[offset:wanted]:
            stored = searcher.doc(address)
            title = stored.get_first("shown_title") or ""
            hits.append(
                Hit(id=int(stored.get_first("id") or 0), score=score, highlights=highlights(title, query))
            )
        if total is None:
            base = queries.restricted(match, *conditions)
            total = searcher.search(base, 1, count=True).count  # type: ignore[attr-defined]  # not in the stub
        # Counted when read: most results a search ranks are never shown (see base.Deferred).
        counting = FacetCounting(searcher, match, filters, total)
        return SearchResult(
            hits=hits, total=total, facets=Deferred(counting.counts), exhaustive=counting.exhaustive
        )

    def _pinned_in_order(
        self, searcher: tantivy.Searcher, pinned: list[int], conditions: list[tantivy.Query]
    ) -> list[tantivy.DocAddress]:
        """The pinned products the filters leave, in the staff's order."""
        found = searcher.search(
            queries.restricted(queries.ids_query(pinned), *conditions), len(pinned), count=False
        )
        addresses = [address for _score, address in found.hits]
        by_id = dict(zip(searcher.fast_field_values("id", addresses), addresses, strict=True))
        return [by_id[pk] for pk in pinned if pk in by_id]

    def _sorted(
        self, searcher: tantivy.Searcher, segment: tantivy.Query, sort: str, limit: int, count: bool = False
    ) -> tuple[list[tantivy.DocAddress], int]:
        """The first `limit` of the segment in `sort` order, and (with `count`) how many it holds."""
        field, order = ORDER_BY[sort]
        found = searcher.search(segment, limit, count=count, order_by_field=field, order=order)
        return [address for _key, address in found.hits], (found.count or 0) if count else 0  # type: ignore[attr-defined]

    def _ranked(
        self,
        searcher: tantivy.Searcher,
        segment: tantivy.Query,
        query: ParsedQuery,
        limit: int,
        count: bool = False,
    ) -> tuple[list[tuple[tantivy.DocAddress, float]], int]:
        """The best `limit` of the segment by relevance: BM25 times the popularity factor
        (tantivy's weight_by_field), times CATEGORY_BOOST for products in a category the query
        names. Those are ranked apart and merged, so the boost needs no rescoring of every
        match: the top `limit` of each side holds the top `limit` of both. With `count`, also
        how many the segment holds (the two sides part it)."""
        if limit <= 0:
            return [], 0
        if not query.categories:
            top, matches = self._top(searcher, segment, limit, 1.0, count)
            return [(address, -key[0]) for key, address in top], matches
        in_category = queries.facet_query("category", query.categories)
        named = queries.restricted(segment, in_category)
        others = queries.restricted(segment, excluding=in_category)
        named_top, named_matches = self._top(searcher, named, limit, CATEGORY_BOOST, count)
        others_top, others_matches = self._top(searcher, others, limit, 1.0, count)
        merged = named_top + others_top
        merged.sort(key=lambda ranked: ranked[0])
        return [(address, -key[0]) for key, address in merged[:limit]], named_matches + others_matches

    def _top(
        self, searcher: tantivy.Searcher, segment: tantivy.Query, limit: int, factor: float, count: bool
    ) -> tuple[list[tuple[tuple[float, int, int], tantivy.DocAddress]], int]:
        found = searcher.search(segment, limit, count=count, weight_by_field="rank_weight")
        matches = (found.count or 0) if count else 0  # type: ignore[attr-defined]  # not in the stub
        addresses = [address for _score, address in found.hits]
        if not addresses:
            return [], matches
        sold = searcher.fast_field_values("units_sold", addresses)
        ids = searcher.fast_field_values("id", addresses)
        # Best score first, then best seller, then lowest id (sql.py's relevance order).
        return [
            ((-score * factor, -int(units or 0), int(pk or 0)), address)
            for (score, address), units, pk in zip(found.hits, sold, ids, strict=True)
        ], matches

    # Autocomplete and vocabulary ---------------------------------------------------------

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        query = parse_query(prefix, prefix=True)
        # A one-letter word being typed matches a good part of any catalog: "heart h"
        # suggests by "heart" until the second letter comes (as the SQLite engine does).
        terms = tuple(term for term in query.terms if not (term.prefix and len(term.word) < 2))
        if not terms:
            return []
        query = replace(query, terms=terms)
        searcher = self.store.searcher()
        found = searcher.search(
            queries.text_query(query, SUGGEST_WEIGHTS), limit, count=False, weight_by_field="suggest_weight"
        )
        suggestions = []
        for _score, address in found.hits:
            stored = searcher.doc(address)
            title = stored.get_first("shown_title") or ""
            suggestions.append(
                Suggestion(
                    id=int(stored.get_first("id") or 0),
                    title=title,
                    slug=stored.get_first("shown_slug") or "",
                    highlighted=highlight(title, query),
                )
            )
        return suggestions

    def similar_terms(self, word: str, *, limit: int = 50) -> list[tuple[str, int]]:
        # The vocabulary is in the database (sql.py keeps it), with the trigram index each
        # database's engine built for it: ask that engine.
        return _vocabulary_engine().similar_terms(word, limit=limit)


def _forget_indexed_documents(store: IndexStore) -> None:
    """A new, empty index beside a database whose documents say the products are indexed
    (the engine was just switched to tantivy, or the directory was lost or is new on this
    host): forget those documents, so the sync sees every product as changed and indexes it
    again (a worker catches up a large catalog), as migration 0004 does for SQLite."""
    from shopstack.search import indexing  # the sync's watermark; indexing loads this module

    if not SearchDocument.objects.exists():
        return
    logger.warning("Empty search index in %s: every product will be indexed again", store.directory)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM search_searchfacet")
        cursor.execute("DELETE FROM search_searchdocument")
        cursor.execute("DELETE FROM search_searchstate WHERE key = %s", [indexing.STATE_KEY])
    cache.delete(indexing._CACHE_KEY)


def _ids_or_none(ids: list[int]) -> tantivy.Query | None:
    return queries.ids_query(ids) if ids else None


def _vocabulary_engine() -> SqlIndexBackend:
    if connection.vendor == "postgresql":
        from shopstack.search.backends.postgres import PostgresBackend

        return PostgresBackend()
    from shopstack.search.backends.sqlite_fts import SqliteFtsBackend

    return SqliteFtsBackend()
