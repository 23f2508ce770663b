"""A `ParsedQuery` and `SearchFilters` as tantivy queries.

Queries are built from parts (term, phrase, regex, range and boolean queries), never from
query syntax, so nothing a shopper types can reach tantivy's parser. Words are stemmed by
the index's own analyzer, so a query word meets the indexed word whatever the stemmer made
of both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import tantivy

from shopstack.search.backends.base import SearchFilters
from shopstack.search.backends.tantivy_engine.schema import SCHEMA, SEP, TEXT_FIELDS, analyzer, pence
from shopstack.search.query import ParsedQuery, Term

Must = tantivy.Occur.Must
Should = tantivy.Occur.Should
MustNot = tantivy.Occur.MustNot
_ANALYZER = analyzer()


@lru_cache(maxsize=4096)
def stems(text: str) -> tuple[str, ...]:
    """The indexed forms of the words of `text` (already folded and split by query.py)."""
    return tuple(_ANALYZER.analyze(text))


def _any_of(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(Should, query) for query in queries])


def _all_of(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(Must, query) for query in queries])


def _in_fields(fields: dict[str, float], make: object) -> tantivy.Query | None:
    """`make(field)` in every field, weighted, scores summed (a match in the title and the
    aliases counts both, as in FTS5's bm25 over columns)."""
    parts = [tantivy.Query.boost_query(make(field), weight) for field, weight in fields.items()]  # type: ignore[operator]
    return _any_of(parts) if parts else None


def _word_query(word: str, fields: dict[str, float]) -> tantivy.Query | None:
    forms = stems(word)
    if not forms:
        return None
    if len(forms) == 1:
        return _in_fields(fields, lambda field: tantivy.Query.term_query(SCHEMA, field, forms[0]))
    return _in_fields(fields, lambda field: tantivy.Query.phrase_query(SCHEMA, field, list(forms)))


def _prefix_query(word: str, fields: dict[str, float]) -> tantivy.Query | None:
    """Indexed words starting with what was typed: stemmed as the index is ("candles" is
    indexed "candl"), and as typed when the stem is not its beginning."""
    forms = stems(word)
    if not forms:
        return None
    starts = {forms[-1], word} if not word.startswith(forms[-1]) else {forms[-1]}
    pattern = "(?:" + "|".join(sorted(re.escape(start) for start in starts)) + ").*"
    return _in_fields(fields, lambda field: tantivy.Query.regex_query(SCHEMA, field, pattern))


def term_query(term: Term, fields: dict[str, float] = TEXT_FIELDS) -> tantivy.Query | None:
    """One term: the word (a prefix while typing) or any of its alternatives (synonyms,
    which may be phrases)."""
    options = [_prefix_query(term.word, fields) if term.prefix else _word_query(term.word, fields)]
    options.extend(_word_query(alternative, fields) for alternative in term.alternatives)
    found = [option for option in options if option is not None]
    return _any_of(found) if found else None


def text_query(query: ParsedQuery, fields: dict[str, float] = TEXT_FIELDS) -> tantivy.Query:
    """Every term (or any, when relaxed); a query without terms matches everything."""
    if not query.terms:
        return tantivy.Query.all_query()
    parts = [term_query(term, fields) for term in query.terms]
    found = [part for part in parts if part is not None]
    if not found:
        return tantivy.Query.empty_query()
    if query.match_any:
        return _any_of(found)
    if len(found) < len(parts):
        return tantivy.Query.empty_query()  # a term with no indexable word cannot match
    return _all_of(found)


def ids_query(ids: Iterable[int]) -> tantivy.Query:
    return tantivy.Query.term_set_query(SCHEMA, "id", list(ids))


def facet_query(name: str, values: Iterable[str]) -> tantivy.Query:
    return tantivy.Query.term_set_query(SCHEMA, "facet", [f"{name}{SEP}{value}" for value in values])


def filter_queries(filters: SearchFilters, *, ignore: str | None = None) -> list[tantivy.Query]:
    """The filters as queries to AND with the match; `ignore` leaves one out ("price",
    "in_stock" or a facet name), to count that facet under the others (multi-select)."""
    found: list[tantivy.Query] = []
    if ignore != "price" and (filters.min_price is not None or filters.max_price is not None):
        found.append(
            tantivy.Query.range_query(
                SCHEMA,
                "price_pence",
                tantivy.FieldType.Integer,
                pence(filters.min_price) if filters.min_price is not None else -(2**62),
                pence(filters.max_price) if filters.max_price is not None else 2**62,
            )
        )
    if filters.in_stock is not None and ignore != "in_stock":
        found.append(tantivy.Query.term_query(SCHEMA, "in_stock", filters.in_stock))
    for name, values in sorted(filters.facets.items()):
        if values and name != ignore:
            found.append(facet_query(name, values))
    return found


def restricted(
    match: tantivy.Query, *conditions: tantivy.Query, excluding: tantivy.Query | None = None
) -> tantivy.Query:
    """`match` AND the conditions (which do not score) AND NOT `excluding`."""
    if not conditions and excluding is None:
        return match
    clauses = [(Must, match)]
    clauses.extend((Must, tantivy.Query.const_score_query(condition, 0.0)) for condition in conditions)
    if excluding is not None:
        clauses.append((MustNot, excluding))
    return tantivy.Query.boolean_query(clauses)
