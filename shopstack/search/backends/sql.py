"""The part of the two database backends that is plain SQL: documents, facets, filters,
sorting, paging and counts. A subclass supplies the full-text match as SQL that yields
(id, score) rows, lower score better, and keeps its own text index in step."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from shopstack.search.backends.base import (
    PRICE_BUCKETS,
    Deferred,
    FacetCount,
    Hit,
    Placement,
    ProductDocument,
    SearchBackend,
    SearchFilters,
    SearchResult,
    highlights,
)
from shopstack.search.models import SearchDocument, SearchFacet, SearchTerm
from shopstack.search.query import ParsedQuery

ORDER_BY = {
    "price": "d.price_amount, d.product_id",
    "-price": "d.price_amount DESC, d.product_id DESC",
    "newest": "d.published_at DESC, d.product_id DESC",
    "best_selling": "d.units_sold DESC, d.product_id",
}
CATEGORY_BOOST = 1.5
# log(1 + units sold) times this lifts a score: x1.14 at 1,000 sold, a tie-breaker more than a rank.
POPULARITY = 0.02
BATCH = 500
# A match set of more than SAMPLE_ABOVE products has its facets counted over its SAMPLE best
# sellers, scaled (the total stays exact): tantivy's figures (tantivy_engine/counting.py).
SAMPLE_ABOVE = 2_000
SAMPLE = 1_000


def _price(value: Decimal) -> Any:
    """A price as the database adapter takes it in raw SQL (as the ORM would send it)."""
    return connection.ops.adapt_decimalfield_value(value, 12, 2)


def _when(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


@dataclass(frozen=True)
class Window:
    """The best-selling `size` matches of a broad query, standing for `matches` matches
    (counted up to a cap): `sql` (with `params`) restricts the engine's match to them."""

    sql: str
    params: tuple[Any, ...]
    size: int
    matches: int


def _placeholders(values: Sequence[object]) -> str:
    return ", ".join(["%s"] * len(values))


class SqlIndexBackend(SearchBackend):
    """Documents and facets in ordinary tables; the text index is the subclass's."""

    # Subclasses -------------------------------------------------------------------------

    def _match_sql(
        self, query: ParsedQuery, window: Window | None = None, *, scored: bool = True
    ) -> tuple[str, list[Any]]:
        """SQL selecting (id, score) of documents matching the query's terms (only those in
        the window, when one is given); without `scored` the score is a constant 0, for the
        counts, which need no ranking."""
        raise NotImplementedError

    def _window(self, cursor: Any, query: ParsedQuery, *, widen: int = 0) -> Window | None:
        """For a query matching very many documents, the part of them worth looking at (an
        engine that can find its best-selling matches cheaply says so), wider for each
        `widen` step; None: all of them."""
        return None

    def _prepare(self, cursor: Any) -> None:
        """Session settings the engine's searches want (run before each search)."""

    def _lock_writes(self, cursor: Any) -> None:
        """Hold off other processes' index writes until this transaction ends. Two searches
        that find the same product changed both reindex it: each deletes its rows, then
        inserts them, and where writers do not queue (PostgreSQL) the second insert meets the
        first one's row, a duplicate key. SQLite's writes already queue (IMMEDIATE
        transactions), so nothing is needed there."""

    def _text_write(self, cursor: Any, documents: list[ProductDocument]) -> None:
        raise NotImplementedError

    def _text_delete(self, cursor: Any, ids: list[int]) -> None:
        raise NotImplementedError

    def _text_clear(self, cursor: Any) -> None:
        raise NotImplementedError

    # Writing ----------------------------------------------------------------------------

    def index(self, documents: Iterable[ProductDocument]) -> int:
        batch: list[ProductDocument] = []
        written = 0
        for document in documents:
            batch.append(document)
            if len(batch) >= BATCH:
                written += self._index_batch(batch)
                batch = []
        if batch:
            written += self._index_batch(batch)
        return written

    def _index_batch(self, documents: list[ProductDocument]) -> int:
        """Replace these documents: plain executemany, no model instances (a full reindex
        writes a million documents and several million facets)."""
        ids = [document.id for document in documents]
        words: dict[str, int] = {}
        for document in documents:
            for word in document.vocabulary():
                words[word[:64]] = words.get(word[:64], 0) + 1
        marks = _placeholders(ids)
        with transaction.atomic(), connection.cursor() as cursor:
            self._lock_writes(cursor)
            self._text_delete(cursor, ids)  # first: the engine may key its rows by the documents
            cursor.execute(f"DELETE FROM search_searchfacet WHERE document_id IN ({marks})", ids)
            cursor.execute(f"DELETE FROM search_searchdocument WHERE product_id IN ({marks})", ids)
            self._text_write(cursor, documents)
            cursor.executemany(
                "INSERT INTO search_searchdocument (product_id, title, slug, price_amount, currency,"
                " in_stock, units_sold, popularity, published_at, source_updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (
                        d.id,
                        d.title[:200],
                        d.slug,
                        _price(d.price),
                        d.currency,
                        d.in_stock,
                        d.units_sold,
                        math.log1p(max(d.units_sold, 0)),
                        _when(d.published_at),
                        _when(d.updated_at),
                    )
                    for d in documents
                ],
            )
            cursor.executemany(
                "INSERT INTO search_searchfacet (document_id, name, value, label) VALUES (%s, %s, %s, %s)",
                [
                    (d.id, name[:64], value[:64], label[:64])
                    for d in documents
                    for name, value, label in dict.fromkeys((n[:64], v[:64], lb) for n, v, lb in d.facets)
                ],
            )
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=word, frequency=count) for word, count in words.items()],
            ignore_conflicts=True,
            batch_size=BATCH,
        )
        return len(documents)

    def remove(self, ids: Iterable[int]) -> None:
        id_list = list(ids)
        for start in range(0, len(id_list), BATCH):
            chunk = id_list[start : start + BATCH]
            with transaction.atomic():
                with connection.cursor() as cursor:
                    self._lock_writes(cursor)
                    self._text_delete(cursor, chunk)
                SearchDocument.objects.filter(pk__in=chunk).delete()

    def clear(self) -> None:
        with transaction.atomic():
            with connection.cursor() as cursor:
                self._lock_writes(cursor)
            SearchFacet.objects.all().delete()
            SearchDocument.objects.all().delete()
            SearchTerm.objects.all().delete()
            with connection.cursor() as cursor:
                self._text_clear(cursor)

    def rebuild_vocabulary(self, counts: dict[str, int]) -> None:
        with transaction.atomic():
            SearchTerm.objects.all().delete()
            SearchTerm.objects.bulk_create(
                [SearchTerm(term=word[:64], frequency=count) for word, count in counts.items()],
                batch_size=BATCH,
                ignore_conflicts=True,
            )

    def known_terms(self, words: Iterable[str]) -> set[str]:
        # Raw SQL: every search asks, and the ORM costs more than the indexed lookup.
        word_list = list(words)
        if not word_list:
            return set()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT term FROM search_searchterm WHERE term IN ({_placeholders(word_list)})", word_list
            )
            return {row[0] for row in cursor.fetchall()}

    # Reading ----------------------------------------------------------------------------

    def _filters_sql(self, filters: SearchFilters, *, ignore: str | None = None) -> tuple[str, list[Any]]:
        """WHERE conditions on `d` for the filters; `ignore` leaves one out ("price", "in_stock"
        or a facet name), to count that facet under the others only (multi-select facets)."""
        clauses: list[str] = []
        params: list[Any] = []
        if ignore != "price":
            clauses, params = _price_clauses(filters)
        if filters.in_stock is not None and ignore != "in_stock":
            clauses.append("d.in_stock = %s")
            params.append(filters.in_stock)
        for name, values in sorted(filters.facets.items()):
            if not values or name == ignore:
                continue
            clauses.append(
                "EXISTS (SELECT 1 FROM search_searchfacet f WHERE f.document_id = d.product_id"
                f" AND f.name = %s AND f.value IN ({_placeholders(values)}))"
            )
            params.extend([name, *values])
        return (" AND ".join(clauses) or "1 = 1"), params

    def _matches_sql(
        self, query: ParsedQuery, placement: Placement, window: Window | None = None, *, scored: bool = True
    ) -> tuple[str, list[Any]]:
        if query.terms:
            match_sql, params = self._match_sql(query, window, scored=scored)
        else:
            match_sql, params = "SELECT product_id AS id, 0.0 AS score FROM search_searchdocument", []
        if placement.pinned:
            pinned = list(placement.pinned)
            match_sql = (
                f"SELECT id, MIN(score) AS score FROM ({match_sql}"
                " UNION ALL SELECT product_id AS id, 0.0 AS score FROM search_searchdocument"
                f" WHERE product_id IN ({_placeholders(pinned)})) AS u GROUP BY id"
            )
            params = [*params, *pinned]
        return match_sql, params

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
        with connection.cursor() as cursor:
            self._prepare(cursor)
            widen = 0
            while True:
                window = None
                if query.terms and not placement.pinned:
                    window = self._window(cursor, query, widen=widen)
                result = self._search(cursor, query, filters, sort, page, per_page, placement, window)
                # A filter (or a deep page) may leave less than a page in the window while more
                # matches lie outside it: look at a wider window, in the end at every match.
                if window is None or len(result.hits) >= per_page:
                    return result
                widen += 1

    def _search(
        self,
        cursor: Any,
        query: ParsedQuery,
        filters: SearchFilters,
        sort: str,
        page: int,
        per_page: int,
        placement: Placement,
        window: Window | None,
    ) -> SearchResult:
        order_sql, order_params = self._order_sql(query, sort, placement)
        offset = (max(page, 1) - 1) * per_page

        def base_for(ignore: str | None = None, *, scored: bool = False) -> tuple[str, list[Any]]:
            # Only the page of hits needs the engine's score; the counts re-run the match
            # without it (bm25 costs several microseconds a row, every time it runs).
            match_sql, match_params = self._matches_sql(query, placement, window, scored=scored)
            where, where_params = self._filters_sql(filters, ignore=ignore)
            joined = f"FROM ({match_sql}) AS m JOIN search_searchdocument d ON d.product_id = m.id"
            return f"{joined} WHERE {where}", [*match_params, *where_params]

        # One pass over the matches gives the page, the total, the in-stock counts, the price
        # bucket counts without the price range (multi-select: see `_counts`; the range is
        # applied here, as `ok`, not in the WHERE), and the ids the facets are counted over:
        # every match, or a broad match's SAMPLE best sellers (rows past the page, by
        # `sales_rank`). Without a match in the range, one row outside it brings the counts.
        base, base_params = base_for("price", scored=True)
        ok_sql, ok_params = _price_range_sql(filters)
        ok = f"(CASE WHEN {ok_sql} THEN 1 ELSE 0 END)"
        buckets_sql, bucket_params = _bucket_sums(over=True)
        cursor.execute(
            "SELECT id, score, title, total, sales_rank, in_stock, page_rank, ok, "
            + _bucket_columns()
            + f" FROM (SELECT d.product_id AS id, m.score AS score, d.title AS title, {ok} AS ok,"
            f" SUM({ok}) OVER () AS total,"
            f" SUM(CASE WHEN d.in_stock THEN {ok} ELSE 0 END) OVER () AS in_stock, {buckets_sql},"
            f" ROW_NUMBER() OVER (PARTITION BY {ok} ORDER BY {order_sql}) AS page_rank,"
            f" ROW_NUMBER() OVER (PARTITION BY {ok} ORDER BY d.units_sold DESC, d.product_id) AS sales_rank"
            f" {base}) AS r"
            " WHERE (ok = 1 AND ((page_rank > %s AND page_rank <= %s)"
            " OR sales_rank <= (CASE WHEN total > %s THEN %s ELSE %s END)))"
            " OR (ok = 0 AND total = 0 AND page_rank = 1)"
            " ORDER BY page_rank",
            [
                *ok_params,
                *ok_params,
                *ok_params,
                *bucket_params,
                *ok_params,
                *order_params,
                *ok_params,
                *base_params,
                offset,
                offset + per_page,
                SAMPLE_ABOVE,
                SAMPLE,
                SAMPLE_ABOVE,
            ],
        )
        rows = cursor.fetchall()
        known: tuple[int, list[int]] | None = None
        if rows:
            total = int(rows[0][3] or 0)
            known = (int(rows[0][5] or 0), [int(count or 0) for count in rows[0][8:]])
        else:
            total = 0
        rows = [row for row in rows if row[7] == 1]
        hits = [
            Hit(id=row[0], score=float(row[1] or 0), highlights=highlights(row[2], query))
            for row in rows
            if offset < row[6] <= offset + per_page
        ]
        sampled = total > SAMPLE_ABOVE
        members = sorted(row[0] for row in rows if not sampled or row[4] <= SAMPLE)
        # Counted only if the result is shown (base.Deferred): a search ranks tiers, corrected
        # spellings and single words that it never shows.
        scale = window.matches / window.size if window is not None else 1.0

        def counts() -> dict[str, list[FacetCount]]:
            with connection.cursor() as counting:
                facets = self._counts(counting, base_for, filters, total, known, members, sampled)
            if window is None:
                return facets
            return {
                name: [FacetCount(c.value, c.label, _scaled(c.count, scale)) for c in found]
                for name, found in facets.items()
            }

        return SearchResult(
            hits=hits,
            total=_scaled(total, scale) if window is not None else total,
            facets=Deferred(counts),
            exhaustive=window is None and not sampled,
        )

    def _order_sql(self, query: ParsedQuery, sort: str, placement: Placement) -> tuple[str, list[Any]]:
        pinned = list(placement.pinned)
        pin_sql, pin_params = "", []
        if pinned:
            cases = " ".join("WHEN %s THEN %s" for _ in pinned)
            pin_sql = f"CASE d.product_id {cases} ELSE {len(pinned)} END, "
            pin_params = [value for rank, pk in enumerate(pinned) for value in (pk, rank)]
        if sort in ORDER_BY:
            return pin_sql + ORDER_BY[sort], pin_params
        # Relevance: the engine's score (negative, lower is better) lifted for best sellers,
        # for products in a category the query names, and for staff boosts.
        factors = [f"(1.0 + {POPULARITY} * d.popularity)"]
        params: list[Any] = []
        if query.categories:
            slugs = list(query.categories)
            factors.append(
                f"(CASE WHEN EXISTS (SELECT 1 FROM search_searchfacet cf WHERE cf.document_id = d.product_id"
                f" AND cf.name = 'category' AND cf.value IN ({_placeholders(slugs)}))"
                f" THEN {CATEGORY_BOOST} ELSE 1.0 END)"
            )
            params.extend(slugs)
        boost_sql, boost_params = "", []
        if placement.boosted:
            # Boosted products come before the other matches, in relevance order.
            boosted = list(placement.boosted)
            boost_sql = f"CASE WHEN d.product_id IN ({_placeholders(boosted)}) THEN 0 ELSE 1 END, "
            boost_params = boosted
        score = f"(m.score - 0.000001) * {' * '.join(factors)}"
        return (
            f"{pin_sql}{boost_sql}{score}, d.units_sold DESC, d.product_id",
            [*pin_params, *boost_params, *params],
        )

    def _counts(
        self,
        cursor: Any,
        base_for: Callable[[str | None], tuple[str, list[Any]]],
        filters: SearchFilters,
        total: int,
        known: tuple[int, list[int]] | None,
        members: list[int],
        sampled: bool,
    ) -> dict[str, list[FacetCount]]:
        """The facet counts of the `total` matches (`known`: their in-stock count and the
        price bucket counts without the price range, when the page's statement gave them).
        Multi-select facets: each facet is counted under every filter except its own (with
        colour=red chosen, the colour facet still counts blue and green, so the shopper can
        switch or add one); so are the price buckets (without the price range) and the
        in-stock count (without the in-stock filter). `members`: the ids of the matches, or
        with `sampled` (a match set of more than SAMPLE_ABOVE products) those of its SAMPLE
        best sellers: the facets are then counted over the sample and scaled, as tantivy does
        (docs/search.md); so is then each chosen facet's own set under the other filters."""
        priced = filters.min_price is not None or filters.max_price is not None
        stocked = filters.in_stock is not None
        chosen = sorted(name for name, values in filters.facets.items() if values)
        facets: dict[str, list[FacetCount]] = {}
        if not total and not (chosen or priced or stocked):
            return facets
        buckets_sql, bucket_params = _bucket_sums()
        known_missing = known is None
        if known is None:
            base, params = base_for(None)
            cursor.execute(
                f"SELECT SUM(CASE WHEN d.in_stock THEN 1 ELSE 0 END), {buckets_sql} {base}",
                [*bucket_params, *params],
            )
            row = cursor.fetchone()
            known = (int(row[0] or 0), [int(count or 0) for count in row[1:]])
        in_stock, bucket_counts = known
        if stocked:
            stock_base, stock_params = base_for("in_stock")
            cursor.execute(f"SELECT SUM(CASE WHEN d.in_stock THEN 1 ELSE 0 END) {stock_base}", stock_params)
            in_stock = int(cursor.fetchone()[0] or 0)
        if priced and known_missing:
            price_base, price_params = base_for("price")
            cursor.execute(f"SELECT {buckets_sql} {price_base}", [*bucket_params, *price_params])
            bucket_counts = [int(count or 0) for count in cursor.fetchone()]
        if total or in_stock:
            facets["in_stock"] = [FacetCount("true", "In stock", in_stock)]
        prices = [
            FacetCount(key, label, count)
            for (key, label, _low, _high), count in zip(PRICE_BUCKETS, bucket_counts, strict=True)
            if count
        ]
        if prices:
            facets["price"] = prices
        if total:
            others = f" AND f.name NOT IN ({_placeholders(chosen)})" if chosen else ""
            if members:
                ids_sql, params, scale = _placeholders(members), list(members), total / len(members)
            else:  # not given
                base, params = base_for(None)
                ids_sql, scale = f"SELECT d.product_id {base}", 1.0
            self._facet_counts(cursor, others, [*params, *chosen], ids_sql, facets, scale)
        for name in chosen:
            own_base, own_params = base_for(name)
            own_ids, scale = f"SELECT d.product_id {own_base}", 1.0
            if sampled:
                # A wider set than the matches: its own best sellers, and how many it holds.
                cursor.execute(
                    f"SELECT d.product_id, COUNT(*) OVER () {own_base}"
                    " ORDER BY d.units_sold DESC, d.product_id LIMIT %s",
                    [*own_params, SAMPLE],
                )
                found = cursor.fetchall()
                own_params = [row[0] for row in found]
                own_ids, scale = _placeholders(own_params), int(found[0][1]) / len(found)
            self._facet_counts(cursor, " AND f.name = %s", [*own_params, name], own_ids, facets, scale)
        for name, counts in facets.items():
            if name not in ("price", "in_stock"):
                counts.sort(key=lambda c: (-c.count, c.label))
        return facets

    def _facet_counts(
        self,
        cursor: Any,
        names_sql: str,
        params: list[Any],
        members: str,
        facets: dict[str, list[FacetCount]],
        scale: float = 1.0,
    ) -> None:
        cursor.execute(
            "SELECT f.name, f.value, MAX(f.label), COUNT(*)"
            f" FROM search_searchfacet f WHERE f.document_id IN ({members}){names_sql}"
            " GROUP BY f.name, f.value",
            params,
        )
        for name, value, label, count in cursor.fetchall():
            facets.setdefault(name, []).append(FacetCount(value, label, _scaled(int(count), scale)))


def _scaled(count: int, scale: float) -> int:
    """A count of a sample (or a window) scaled to the match set it stands for."""
    if scale == 1.0:
        return count
    return max(1, round(count * scale)) if count else 0


def _price_clauses(filters: SearchFilters) -> tuple[list[str], list[Any]]:
    """The conditions on `d` of the filters' price range, with their parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.min_price is not None:
        clauses.append("d.price_amount >= %s")
        params.append(filters.min_price)
    if filters.max_price is not None:
        clauses.append("d.price_amount <= %s")
        params.append(filters.max_price)
    return clauses, params


def _price_range_sql(filters: SearchFilters) -> tuple[str, list[Any]]:
    """The price range of the filters as one condition on `d` ("1 = 1" without one)."""
    clauses, params = _price_clauses(filters)
    return (" AND ".join(clauses) or "1 = 1"), params


def _bucket_columns() -> str:
    """The names `_bucket_sums(over=True)` gives its columns."""
    return ", ".join(f"bucket{number}" for number in range(len(PRICE_BUCKETS)))


def _bucket_sums(*, over: bool = False) -> tuple[str, list[Any]]:
    """SUM(...) columns counting the PRICE_BUCKETS, and their parameters; `over`: as window
    aggregates over every row (named as `_bucket_columns` says)."""
    buckets = []
    params: list[Any] = []
    for _key, _label, low, high in PRICE_BUCKETS:
        conditions = []
        if low is not None:
            conditions.append("d.price_amount >= %s")
            params.append(low)
        if high is not None:
            conditions.append("d.price_amount < %s")
            params.append(high)
        buckets.append(f"SUM(CASE WHEN {' AND '.join(conditions)} THEN 1 ELSE 0 END)")
    if over:
        buckets = [f"{bucket} OVER () AS bucket{number}" for number, bucket in enumerate(buckets)]
    return ", ".join(buckets), params


def price_bucket_range(key: str) -> tuple[Decimal | None, Decimal | None] | None:
    """(min, max) of a price bucket key such as "5-10"; None for an unknown key."""
    for bucket_key, _label, low, high in PRICE_BUCKETS:
        if bucket_key == key:
            return low, (high - Decimal("0.01") if high is not None else None)
    return None
