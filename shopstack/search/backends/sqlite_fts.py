"""The embedded tier's engine: SQLite FTS5.

`search_fts` holds five text columns ranked by bm25 with weights title 10 > aliases and
attributes 6 > categories 3 > description 1, tokenised by porter over unicode61 with
diacritics removed (stemming, plurals, accents), with prefix indexes for 2 and 3 letters
(autocomplete). Typo candidates come from `search_term_trigram`, a trigram FTS5 table
over the vocabulary kept in step with search_searchterm by triggers. Both are created
by migration 0002 on SQLite only.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.db import connection

from shopstack.search.backends.base import ProductDocument, Suggestion, highlight
from shopstack.search.backends.sql import SqlIndexBackend, Window, _placeholders
from shopstack.search.query import ParsedQuery, Term, index_text, parse_query

WEIGHTS = "10.0, 6.0, 6.0, 3.0, 1.0"  # title, aliases, attributes, categories, description
# A query matching more than WINDOW products is ranked, filtered and counted over its WINDOW
# best-selling matches (bm25 costs several microseconds a row, every row); the total and facet
# counts are scaled to the matches, counted up to COUNT_CAP (docs/search.md, "Very broad
# queries").
WINDOW = 1_000
WIDER = 8  # a filter that leaves less than a page looks at 8 x WINDOW, then at every match
COUNT_CAP = 50_000
SUGGEST_WINDOW = 200
# FTS5 row keys: units sold in the high 32 bits, the product id in the low 32, so that rowid
# order is best-seller order and the id is the key's low half.
ID_MASK = 0xFFFFFFFF
MAX_KEY_SOLD = 0x7FFFFFFF


def text_key(product_id: int, units_sold: int) -> int:
    """The FTS5 rowid of a product's row."""
    if not 0 <= product_id <= ID_MASK:
        raise ValueError(f"product id {product_id} does not fit the search key")
    return (min(max(units_sold, 0), MAX_KEY_SOLD) << 32) | product_id


CREATE_SQL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "title, aliases, attributes, categories, description,"
    " tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_term_trigram USING fts5(term, tokenize = 'trigram')",
    "CREATE TRIGGER IF NOT EXISTS search_term_ai AFTER INSERT ON search_searchterm BEGIN"
    " INSERT INTO search_term_trigram(rowid, term) VALUES (new.id, new.term); END",
    "CREATE TRIGGER IF NOT EXISTS search_term_ad AFTER DELETE ON search_searchterm BEGIN"
    " DELETE FROM search_term_trigram WHERE rowid = old.id; END",
]
DROP_SQL = [
    "DROP TRIGGER IF EXISTS search_term_ad",
    "DROP TRIGGER IF EXISTS search_term_ai",
    "DROP TABLE IF EXISTS search_term_trigram",
    "DROP TABLE IF EXISTS search_fts",
]


def _quoted(text: str) -> str:
    # Words are letters and digits only (query.words_of), so a quote cannot appear; the
    # doubling is belt and braces for FTS5's string syntax.
    return '"' + text.replace('"', '""') + '"'


def term_expression(term: Term) -> str:
    """One term as FTS5 syntax: the word (as a prefix while typing) or any synonym."""
    options = [_quoted(term.word) + (" *" if term.prefix else "")]
    options.extend(_quoted(alternative) for alternative in term.alternatives)
    return options[0] if len(options) == 1 else "(" + " OR ".join(options) + ")"


def match_expression(query: ParsedQuery) -> str:
    joiner = " OR " if query.match_any else " AND "
    return joiner.join(term_expression(term) for term in query.terms)


class SqliteFtsBackend(SqlIndexBackend):
    vendors = ("sqlite",)

    def _match_sql(
        self, query: ParsedQuery, window: Window | None = None, *, scored: bool = True
    ) -> tuple[str, list[Any]]:
        score = f"bm25(search_fts, {WEIGHTS})" if scored else "0.0"
        sql = f"SELECT rowid & {ID_MASK} AS id, {score} AS score FROM search_fts WHERE search_fts MATCH %s"
        if window is None:
            return sql, [match_expression(query)]
        return f"{sql} AND {window.sql}", [match_expression(query), *window.params]

    def _window(self, cursor: Any, query: ParsedQuery, *, widen: int = 0) -> Window | None:
        # Rows are keyed best sellers last (text_key), so the WINDOW best-selling matches are
        # the first WINDOW read backwards: a short walk, and ranking then touches only them.
        if widen > 1:
            return None
        size = WINDOW * WIDER**widen
        expression = match_expression(query)
        cursor.execute(
            "SELECT rowid FROM search_fts WHERE search_fts MATCH %s ORDER BY rowid DESC LIMIT 1 OFFSET %s",
            [expression, size - 1],
        )
        row = cursor.fetchone()
        if row is None:
            return None
        cursor.execute(
            "SELECT COUNT(*) FROM (SELECT rowid FROM search_fts WHERE search_fts MATCH %s LIMIT %s)",
            [expression, COUNT_CAP],
        )
        return Window(sql="rowid >= %s", params=(row[0],), size=size, matches=cursor.fetchone()[0])

    def _text_write(self, cursor: Any, documents: list[ProductDocument]) -> None:
        cursor.executemany(
            "INSERT INTO search_fts(rowid, title, aliases, attributes, categories, description)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (
                    text_key(d.id, d.units_sold),
                    index_text(d.title),
                    index_text(" ; ".join(d.aliases)),
                    index_text(" ; ".join(d.attributes)),
                    index_text(" ; ".join(d.categories)),
                    index_text(d.description),
                )
                for d in documents
            ],
        )

    def _text_delete(self, cursor: Any, ids: list[int]) -> None:
        # Called while the documents are still there: their units sold give the row keys.
        cursor.execute(
            "DELETE FROM search_fts WHERE rowid IN (SELECT"
            f" (MIN(units_sold, {MAX_KEY_SOLD}) << 32) | product_id FROM search_searchdocument"
            f" WHERE product_id IN ({_placeholders(ids)}))",
            ids,
        )

    def _text_clear(self, cursor: Any) -> None:
        cursor.execute("DELETE FROM search_fts")

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        query = parse_query(prefix, prefix=True)
        # A one-letter word being typed matches a good part of any catalog and no prefix index
        # covers it: "heart h" suggests by "heart" until the second letter comes.
        terms = tuple(term for term in query.terms if not (term.prefix and len(term.word) < 2))
        if not terms:
            return []
        query = replace(query, terms=terms)
        expression = "{title aliases} : (" + match_expression(query) + ")"
        with connection.cursor() as cursor:
            # Ranked among the SUGGEST_WINDOW best-selling matches (rows are keyed best
            # sellers last), so a short prefix costs no more than a long one.
            cursor.execute(
                f"SELECT d.product_id, d.title, d.slug FROM (SELECT rowid & {ID_MASK} AS id,"
                f" bm25(search_fts, {WEIGHTS}) AS score FROM search_fts WHERE search_fts MATCH %s"
                " ORDER BY rowid DESC LIMIT %s) AS m"
                " JOIN search_searchdocument d ON d.product_id = m.id"
                " ORDER BY (m.score - 0.000001) * (1.0 + 0.1 * d.popularity), d.product_id LIMIT %s",
                [expression, SUGGEST_WINDOW, limit],
            )
            rows = cursor.fetchall()
        return [Suggestion(id=r[0], title=r[1], slug=r[2], highlighted=highlight(r[1], query)) for r in rows]

    def similar_terms(self, word: str, *, limit: int = 50) -> list[tuple[str, int]]:
        grams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
        if not grams:
            return []
        expression = " OR ".join(_quoted(gram) for gram in grams)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.term, t.frequency FROM search_term_trigram g"
                " JOIN search_searchterm t ON t.id = g.rowid"
                " WHERE search_term_trigram MATCH %s ORDER BY g.rank LIMIT %s",
                [expression, limit],
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]
