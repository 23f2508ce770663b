"""The PostgreSQL engine: full text search with weighted tsvectors and pg_trgm.

`search_pg_text` holds one tsvector per product: title weight A, aliases and attributes
B, categories C, description D (english configuration: stemming, plurals; accents are
folded in Python before indexing and querying), with a GIN index. Typo candidates come
from a trigram GIN index on the vocabulary (search_searchterm.term). Created by
migration 0002 on PostgreSQL only, which also enables pg_trgm.
"""

from __future__ import annotations

import json
import time
import weakref
from dataclasses import replace
from typing import Any

from django.db import connection

from shopstack.search.backends.base import ProductDocument, Suggestion, highlight
from shopstack.search.backends.sql import SqlIndexBackend, Window, _placeholders
from shopstack.search.query import ParsedQuery, Term, index_text, parse_query

CONFIG = "english"
# ts_rank weights for {D, C, B, A}.
RANK_WEIGHTS = "{0.1, 0.3, 0.6, 1.0}"
CREATE_SQL = [
    "CREATE TABLE IF NOT EXISTS search_pg_text ("
    # No foreign key: Django's flush (tests, `manage.py flush`) truncates only its own
    # tables and would refuse to truncate search_searchdocument under a reference. Rows
    # are written and deleted with their documents, and every query joins the documents,
    # so a row without one can never be found.
    " product_id bigint PRIMARY KEY,"
    " vector tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS search_pg_text_vector ON search_pg_text USING gin (vector)",
    "CREATE INDEX IF NOT EXISTS search_term_trgm ON search_searchterm USING gin (term gin_trgm_ops)",
]
DROP_SQL = [
    "DROP INDEX IF EXISTS search_term_trgm",
    "DROP TABLE IF EXISTS search_pg_text",
]
# Suggestions match the title and aliases only (the A and B weights of the vector): an index
# on that expression, or every autocomplete reads every row.
SUGGEST_VECTOR = "ts_filter(vector, '{a,b}')"
SEARCH_TABLES = ("search_pg_text", "search_searchterm", "search_searchdocument", "search_searchfacet")


# Migration 0006. GIN's fast update parks new entries in a pending list that every search
# then reads in full, until a vacuum merges it (up to gin_pending_list_limit, 4 MB): the
# whole index of a freshly loaded catalog sat there (searches 2-10x slower, and the planner
# chose the trigram index for the vocabulary's equality look-ups). Writes go straight into
# the index instead; the statistics are gathered (none exist until ANALYZE or autovacuum).
def on_postgresql(statements: list[str]) -> Any:
    """A migration function running `statements` on PostgreSQL and nothing elsewhere."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


TUNE_SQL = [
    "ALTER INDEX search_pg_text_vector SET (fastupdate = off)",
    "ALTER INDEX search_term_trgm SET (fastupdate = off)",
    "SELECT gin_clean_pending_list('search_pg_text_vector'::regclass)",
    "SELECT gin_clean_pending_list('search_term_trgm'::regclass)",
    f"CREATE INDEX IF NOT EXISTS search_pg_text_suggest ON search_pg_text USING gin (({SUGGEST_VECTOR}))"
    " WITH (fastupdate = off)",
    f"ANALYZE {', '.join(SEARCH_TABLES)}",
]
# Migration 0007. Suggestions: the title-and-aliases part of the vector kept beside it (a
# generated column, indexed), and the units sold, so that the best-selling matches of a prefix
# are found by walking an index on them, not by ranking every match of "ca" (16% of a
# catalog; 40-70 ms at 100k products).
SUGGEST_SQL = [
    "ALTER TABLE search_pg_text ADD COLUMN IF NOT EXISTS units_sold integer NOT NULL DEFAULT 0",
    "ALTER TABLE search_pg_text ADD COLUMN IF NOT EXISTS suggest tsvector"
    f" GENERATED ALWAYS AS ({SUGGEST_VECTOR}) STORED",
    "UPDATE search_pg_text t SET units_sold = d.units_sold FROM search_searchdocument d"
    " WHERE d.product_id = t.product_id AND t.units_sold <> d.units_sold",
    "CREATE INDEX IF NOT EXISTS search_pg_text_suggest_words ON search_pg_text USING gin (suggest)"
    " WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS search_pg_text_sold ON search_pg_text (units_sold DESC, product_id)",
    "DROP INDEX IF EXISTS search_pg_text_suggest",
    "ANALYZE search_pg_text",
]
UNSUGGEST_SQL = [
    "DROP INDEX IF EXISTS search_pg_text_sold",
    "DROP INDEX IF EXISTS search_pg_text_suggest_words",
    "ALTER TABLE search_pg_text DROP COLUMN IF EXISTS suggest",
    "ALTER TABLE search_pg_text DROP COLUMN IF EXISTS units_sold",
    f"CREATE INDEX IF NOT EXISTS search_pg_text_suggest ON search_pg_text USING gin (({SUGGEST_VECTOR}))"
    " WITH (fastupdate = off)",
]
# Suggestions are ranked among this many best-selling matches of what was typed (all of them
# when fewer): a short prefix costs no more than a long one.
SUGGEST_WINDOW = 500
# A query matching more than WINDOW products is ranked, filtered and counted over its WINDOW
# best sellers (found by the index on units sold), its total and facets scaled to its matches
# counted up to COUNT_CAP, as the SQLite engine does (docs/search.md, "Very broad queries"):
# ts_rank reads every matching vector, a second at a million products for a word like "bag".
WINDOW = 1_000
WIDER = 8  # a filter that leaves less than a page looks at 8 x WINDOW, then at every match
COUNT_CAP = 10_000
# The text index and the query as a tsquery (its one parameter), for every statement reading it.
MATCHING = f"FROM search_pg_text t, to_tsquery('{CONFIG}', %s) AS q(query)"
# Database name -> (rows of search_pg_text as the statistics say, when read): a window's plan.
_row_counts: dict[str, tuple[float, float]] = {}
ROW_COUNT_SECONDS = 600.0
# pg_advisory_xact_lock key of index writes: "shopstack search index" as a bigint.
INDEX_WRITE_LOCK = int.from_bytes(b"ssindex\x01", "big")
UNTUNE_SQL = [
    "DROP INDEX IF EXISTS search_pg_text_suggest",
    "ALTER INDEX search_pg_text_vector RESET (fastupdate)",
    "ALTER INDEX search_term_trgm RESET (fastupdate)",
]


def _plain(text: str) -> str:
    """Words only: the default parser would read "<holder>" as an XML tag and drop it, and
    queries are split the same way (query.words_of), so "t-light" matches "t light"."""
    return index_text(text)


def _lexeme(word: str, *, prefix: bool = False) -> str:
    # Words are letters and digits only (query.words_of); quoting keeps tsquery syntax inert.
    return "'" + word.replace("'", "''").replace("\\", "") + "'" + (":*" if prefix else "")


def term_tsquery(term: Term) -> str:
    options = [_lexeme(term.word, prefix=term.prefix)]
    for alternative in term.alternatives:
        parts = alternative.split()
        options.append("(" + " <-> ".join(_lexeme(part) for part in parts) + ")")
    return options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"


def tsquery_text(query: ParsedQuery) -> str:
    joiner = " | " if query.match_any else " & "
    return joiner.join(term_tsquery(term) for term in query.terms)


# Database connections (the driver's) told to plan without JIT compilation.
_without_jit: weakref.WeakSet[Any] = weakref.WeakSet()


def _no_jit(cursor: Any) -> None:
    """Turn JIT compilation off for this connection's searches: ts_rank's cost estimate puts a
    broad match over jit_above_cost, and compiling then took 300-700 ms of a 50 ms statement.
    Once per connection; in a transaction (which a rollback would undo) for that only."""
    if connection.in_atomic_block:
        cursor.execute("SET LOCAL jit = off")
    elif connection.connection not in _without_jit:
        cursor.execute("SET jit = off")
        _without_jit.add(connection.connection)


def _estimate(cursor: Any, condition: str, text: str) -> int:
    """The planner's estimate of the rows of search_pg_text `t` meeting `condition` on the
    tsquery `text` (q.query): planning only, a fraction of a millisecond."""
    cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT 1 {MATCHING} WHERE {condition}", [text])
    plan = cursor.fetchone()[0]
    return int((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]["Plan Rows"])


def _rows(cursor: Any) -> float:
    """Rows in the text index, as of the last ANALYZE (read at most every ROW_COUNT_SECONDS)."""
    name = str(connection.settings_dict["NAME"])
    rows, read = _row_counts.get(name, (0.0, 0.0))
    if time.monotonic() - read > ROW_COUNT_SECONDS:
        cursor.execute("SELECT GREATEST(reltuples, 1) FROM pg_class WHERE oid = 'search_pg_text'::regclass")
        rows = float(cursor.fetchone()[0])
        _row_counts[name] = (rows, time.monotonic())
    return rows


# Database name -> whether migration 0007's columns are there (checked once per process).
_suggest_columns: dict[str, bool] = {}


def _has_suggest_columns(cursor: Any) -> bool:
    name = str(connection.settings_dict["NAME"])
    if name not in _suggest_columns:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'search_pg_text'::regclass"
            " AND attname = 'suggest' AND NOT attisdropped)"
        )
        _suggest_columns[name] = bool(cursor.fetchone()[0])
    return _suggest_columns[name]


class PostgresBackend(SqlIndexBackend):
    vendors = ("postgresql",)

    def _prepare(self, cursor: Any) -> None:
        _no_jit(cursor)

    def _match_sql(
        self, query: ParsedQuery, window: Window | None = None, *, scored: bool = True
    ) -> tuple[str, list[Any]]:
        score = f"-ts_rank('{RANK_WEIGHTS}', t.vector, q.query)" if scored else "0.0"
        # A fence (OFFSET 0): the score is worked out here, and the vectors go no further
        # (joined and sorted along with the rows, a broad match's sorts spilled to disk).
        return (
            f"SELECT id, score FROM (SELECT t.product_id AS id, {score} AS score"
            f" {MATCHING} WHERE t.vector @@ q.query"
            f"{' AND ' + window.sql if window else ''} OFFSET 0) AS fenced",
            [tsquery_text(query), *(window.params if window else ())],
        )

    def _window(self, cursor: Any, query: ParsedQuery, *, widen: int = 0) -> Window | None:
        if widen > 1 or not _has_suggest_columns(cursor):  # units sold came with migration 0007
            return None
        size = WINDOW * WIDER**widen
        match = f"{MATCHING} WHERE t.vector @@ q.query"
        text = tsquery_text(query)
        # How many match: the planner's estimate (from the words' statistics; close for one
        # word, low for words that go together) when it is past COUNT_CAP, else counted up to
        # COUNT_CAP (reading that many rows: 10-40 ms at a million products).
        estimate = _estimate(cursor, "t.vector @@ q.query", text)
        if estimate > COUNT_CAP:
            matches = estimate
        else:
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 {match} LIMIT %s) AS c", [text, COUNT_CAP])
            matches = int(cursor.fetchone()[0])
            if matches <= size:
                return None
        # The `size` best sellers among them: walking the units-sold index until that many match
        # reads about size x rows / matches rows, the words' index reads every match (then a
        # top-N sort); the planner, which misjudges the walk, is told which ("+ 0" keeps it off
        # the index). At a million products: "bag" (160k matches) 25 ms walked, 150 ms not;
        # "cushion" (16k) 150 ms walked, 85 ms not.
        walk = matches * matches >= size * _rows(cursor)
        order = "t.units_sold" if walk else "t.units_sold + 0"
        cursor.execute(
            f"SELECT t.product_id {match} ORDER BY {order} DESC, t.product_id LIMIT %s", [text, size]
        )
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) < size:  # fewer than the estimate said: every match is here, ranked exactly
            return None
        return Window(sql="t.product_id = ANY(%s)", params=(ids,), size=size, matches=matches)

    def _lock_writes(self, cursor: Any) -> None:
        # One lock for every index write, released when the transaction ends: a writer that
        # waited then deletes the rows the other one committed and writes its own.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [INDEX_WRITE_LOCK])

    def _text_write(self, cursor: Any, documents: list[ProductDocument]) -> None:
        vector = " || ".join(f"setweight(to_tsvector('{CONFIG}', %s), '{weight}')" for weight in "ABCD")
        texts = [
            (
                _plain(d.title),
                _plain(" ".join((*d.aliases, *d.attributes))),
                _plain(" ".join(d.categories)),
                _plain(d.description[:20000]),
            )
            for d in documents
        ]
        if not _has_suggest_columns(cursor):  # before migration 0007
            cursor.executemany(
                f"INSERT INTO search_pg_text (product_id, vector) VALUES (%s, {vector})"
                " ON CONFLICT (product_id) DO UPDATE SET vector = EXCLUDED.vector",
                [(d.id, *text) for d, text in zip(documents, texts, strict=True)],
            )
            return
        cursor.executemany(
            f"INSERT INTO search_pg_text (product_id, units_sold, vector) VALUES (%s, %s, {vector})"
            " ON CONFLICT (product_id) DO UPDATE"
            " SET vector = EXCLUDED.vector, units_sold = EXCLUDED.units_sold",
            [(d.id, max(d.units_sold, 0), *text) for d, text in zip(documents, texts, strict=True)],
        )

    def _text_delete(self, cursor: Any, ids: list[int]) -> None:
        cursor.execute(f"DELETE FROM search_pg_text WHERE product_id IN ({_placeholders(ids)})", ids)

    def _text_clear(self, cursor: Any) -> None:
        cursor.execute("DELETE FROM search_pg_text")

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        query = parse_query(prefix, prefix=True)
        # A one-letter word being typed matches a good part of any catalog (every title, ranked:
        # 70 ms at 100k products): "heart h" suggests by "heart" until the second letter comes,
        # as the other engines do.
        terms_kept = tuple(term for term in query.terms if not (term.prefix and len(term.word) < 2))
        if not terms_kept:
            return []
        query = replace(query, terms=terms_kept)
        # Title and aliases only: the A and B weights of the vector.
        terms = " & ".join(term_tsquery(term) for term in query.terms)
        with connection.cursor() as cursor:
            _no_jit(cursor)
            # The SUGGEST_WINDOW best-selling matches (by the index on units sold, or, for a
            # rare prefix, from the words' index), then ranked: title and aliases only (the
            # A and B weights of the vector, the `suggest` column), by ts_rank times the
            # popularity lift (ln(1 + units sold), as SearchDocument.popularity).
            if _has_suggest_columns(cursor):
                # The window's rows: walking the units-sold index for a common prefix (ranked as
                # they come); for a rare one, from the words' index, sorted by units sold first,
                # then ranked (ts_rank reads the whole vector: not for every match). As for a
                # search's window, by the rows each reads (SUGGEST_WINDOW x rows / matches walked,
                # every match otherwise), the walk's rows counted double: at a million products
                # "lun" (11k matches) 92 ms walked, 22 ms not; "mu" (35k) 17 ms walked, 99 not.
                matches = _estimate(cursor, "t.suggest @@ q.query", terms)
                walk = 2 * matches * matches >= SUGGEST_WINDOW * _rows(cursor)
                rank = (
                    f"SELECT t.product_id, ts_rank('{RANK_WEIGHTS}', t.vector, q.query)"
                    " * (1.0 + 0.1 * ln(1.0 + t.units_sold)) AS rank"
                )
                window = (
                    f"{rank} {MATCHING} WHERE t.suggest @@ q.query"
                    " ORDER BY t.units_sold DESC, t.product_id LIMIT %s"
                    if walk
                    else f"{rank} FROM (SELECT t.product_id {MATCHING} WHERE t.suggest @@ q.query"
                    " ORDER BY t.units_sold + 0 DESC, t.product_id LIMIT %s) AS best"
                    " JOIN search_pg_text t ON t.product_id = best.product_id,"
                    f" to_tsquery('{CONFIG}', %s) AS q(query)"
                )
                # The documents are joined before the limit: a text row left without its
                # document (`manage.py flush` does not empty this table) must not take a place.
                cursor.execute(
                    f"SELECT d.product_id, d.title, d.slug FROM ({window}) AS w"
                    " JOIN search_searchdocument d ON d.product_id = w.product_id"
                    " ORDER BY w.rank DESC, w.product_id LIMIT %s",
                    [terms, SUGGEST_WINDOW, *([] if walk else [terms]), limit],
                )
            else:  # code deployed before `migrate` ran 0007: every match ranked
                cursor.execute(
                    "SELECT d.product_id, d.title, d.slug FROM search_pg_text t"
                    " JOIN search_searchdocument d ON d.product_id = t.product_id,"
                    f" to_tsquery('{CONFIG}', %s) AS q(query)"
                    f" WHERE {SUGGEST_VECTOR} @@ q.query"
                    f" ORDER BY ts_rank('{RANK_WEIGHTS}', t.vector, q.query)"
                    " * (1.0 + 0.1 * d.popularity) DESC, d.product_id LIMIT %s",
                    [terms, limit],
                )
            rows = cursor.fetchall()
        return [Suggestion(id=r[0], title=r[1], slug=r[2], highlighted=highlight(r[1], query)) for r in rows]

    def rebuild_vocabulary(self, counts: dict[str, int]) -> None:
        super().rebuild_vocabulary(counts)
        # The end of a full reindex: the planner's statistics of the tables just rewritten
        # (autovacuum may be off, or late; without them it guesses, and guesses badly).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(SEARCH_TABLES)}")

    def similar_terms(self, word: str, *, limit: int = 50) -> list[tuple[str, int]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT term, frequency FROM search_searchterm WHERE term %% %s"
                " ORDER BY similarity(term, %s) DESC, frequency DESC LIMIT %s",
                [word, word, limit],
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]
