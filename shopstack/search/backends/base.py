"""What every search engine must do for the storefront and the API.

A backend indexes `ProductDocument`s and answers a parsed query with one page of hits,
the total and facet counts. Query understanding (price phrases, synonyms, typos) happens
before the backend is called; the backend only matches `ParsedQuery.terms` (all of them,
or any when `match_any`), applies `SearchFilters` and sorts. Another engine (a vector
index, an external search server) is one more subclass that passes
tests/test_backend_contract.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from shopstack.search.query import ParsedQuery, Term, normalize, singular, words_of

SORTS = ("relevance", "price", "-price", "newest", "best_selling")
# (key, label, low inclusive, high exclusive); None is open.
PRICE_BUCKETS: tuple[tuple[str, str, Decimal | None, Decimal | None], ...] = (
    ("0-5", "Under £5", None, Decimal("5")),
    ("5-10", "£5 to £10", Decimal("5"), Decimal("10")),
    ("10-20", "£10 to £20", Decimal("10"), Decimal("20")),
    ("20-50", "£20 to £50", Decimal("20"), Decimal("50")),
    ("50-", "£50 and over", Decimal("50"), None),
)


@dataclass(frozen=True)
class ProductDocument:
    """A product as the index sees it. Text fields are plain text; facets are
    (name, value slug, label), e.g. ("category", "candles", "Candles")."""

    id: int
    title: str
    slug: str
    price: Decimal
    currency: str
    in_stock: bool
    units_sold: int
    published_at: datetime | None
    updated_at: datetime
    aliases: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    description: str = ""
    facets: tuple[tuple[str, str, str], ...] = ()

    def vocabulary(self) -> set[str]:
        """The words shoppers may type for this product (what typo correction draws on).
        Worked out once per document: indexing asks twice (terms, then the recount)."""
        cached = self.__dict__.get("_vocabulary")
        if cached is None:
            text = " ".join((self.title, *self.aliases, *self.attributes, *self.categories))
            cached = {word for word in words_of(normalize(text)) if len(word) > 2 and not word.isdigit()}
            self.__dict__["_vocabulary"] = cached  # frozen dataclass: bypass __setattr__
        return set(cached)


@dataclass(frozen=True)
class SearchFilters:
    """Facet values are OR-ed within a facet and AND-ed across facets."""

    facets: dict[str, tuple[str, ...]] = field(default_factory=dict)
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool | None = None


@dataclass(frozen=True)
class Placement:
    """Staff merchandising for one query: pinned ids come first in this order (even when
    the words do not match them, as long as the filters do); boosted ids that match come
    before the other matches."""

    pinned: tuple[int, ...] = ()
    boosted: tuple[int, ...] = ()


@dataclass(frozen=True)
class Hit:
    id: int
    score: float
    # field name -> HTML-escaped text with <mark> around matched words (a `Highlights`: worked
    # out when first read)
    highlights: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FacetCount:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    total: int
    # facet name -> counts; "price" holds the PRICE_BUCKETS, "in_stock" one count ("true").
    # A backend may give a `Deferred` mapping, counted when first read.
    facets: Mapping[str, list[FacetCount]] = field(default_factory=dict)
    # False when the engine looked at a window of the matches only (a very broad query on a
    # big catalog): `total` and the facet counts are then estimates, see docs/search.md.
    exhaustive: bool = True


class Deferred[V](Mapping[str, V]):
    """A mapping worked out by `make` when first read. A search ranks more than it shows (the
    tiers' and the corrected spelling's results, a word's mere presence), and only what it
    shows needs highlighting and facet counts: a backend hands these out, and
    `settled(result)` works out the ones kept."""

    __slots__ = ("_make", "_value")

    def __init__(self, make: Callable[[], Mapping[str, V]]) -> None:
        self._make: Callable[[], Mapping[str, V]] | None = make
        self._value: dict[str, V] | None = None

    def _resolved(self) -> dict[str, V]:
        if self._value is None:
            assert self._make is not None
            self._value, self._make = dict(self._make()), None
        return self._value

    def __getitem__(self, key: str) -> V:
        return self._resolved()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolved())

    def __len__(self) -> int:
        return len(self._resolved())

    def __repr__(self) -> str:
        return repr(self._resolved())


def highlights(title: str, query: ParsedQuery) -> Deferred[str]:
    """{"title": highlight(title, query)}, worked out when first read."""
    return Deferred(lambda: {"title": highlight(title, query)})


def settled(result: SearchResult) -> SearchResult:
    """The result with its facet counts and its hits' highlights worked out (plain dicts)."""
    return replace(
        result,
        hits=[replace(hit, highlights=dict(hit.highlights)) for hit in result.hits],
        facets=dict(result.facets),
    )


@dataclass(frozen=True)
class Suggestion:
    id: int
    title: str
    slug: str
    highlighted: str


class SearchBackend:
    """The engine family's interface. Methods raise NotImplementedError until a subclass
    gives them; `vendors` names the databases the backend works on (empty: any)."""

    vendors: tuple[str, ...] = ()

    def index(self, documents: Iterable[ProductDocument]) -> int:
        """Add or replace these documents; returns how many were written."""
        raise NotImplementedError("SearchBackend subclasses must implement index()")

    def remove(self, ids: Iterable[int]) -> None:
        """Drop these products from the index (unknown ids are ignored)."""
        raise NotImplementedError("SearchBackend subclasses must implement remove()")

    def clear(self) -> None:
        """Empty the index, before a full reindex."""
        raise NotImplementedError("SearchBackend subclasses must implement clear()")

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
        """One page of products matching the query's terms and the filters, with the total
        and facet counts over all matches. A query without terms matches every product."""
        raise NotImplementedError("SearchBackend subclasses must implement search()")

    def suggest(self, prefix: str, *, limit: int = 8) -> list[Suggestion]:
        """Products whose title or aliases start with what was typed, best sellers first."""
        raise NotImplementedError("SearchBackend subclasses must implement suggest()")

    def similar_terms(self, word: str, *, limit: int = 50) -> list[tuple[str, int]]:
        """Words of the index that look like `word` (candidates for a typo), with frequency."""
        raise NotImplementedError("SearchBackend subclasses must implement similar_terms()")

    def known_terms(self, words: Iterable[str]) -> set[str]:
        """Which of these words the index contains."""
        raise NotImplementedError("SearchBackend subclasses must implement known_terms()")

    def rebuild_vocabulary(self, counts: dict[str, int]) -> None:
        """Replace the vocabulary with these word -> document counts (after a full reindex)."""
        raise NotImplementedError("SearchBackend subclasses must implement rebuild_vocabulary()")


@lru_cache(maxsize=512)
def _marking(terms: tuple[Term, ...]) -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """For a query's terms: the singular words that are marked, the prefixes typed, and the
    words of more than 3 letters a longer word starting with them is marked for."""
    wanted: set[str] = set()
    prefixes: list[str] = []
    for term in terms:
        for word in (term.word, *term.alternatives):
            for part in word.split():
                wanted.add(singular(part))
        if term.prefix:
            prefixes.append(term.word)
    return frozenset(wanted), tuple(prefixes), tuple(w for w in wanted if len(w) > 3)


@lru_cache(maxsize=16_384)
def _folded(word: str) -> tuple[str, str]:
    folded = normalize(word)
    return folded, singular(folded)


_WORD = re.compile(r"\w+")


def highlight(text: str, query: ParsedQuery) -> str:
    """`text` HTML-escaped, with <mark> around words that match a query term (same word,
    same singular, or starting with a term typed as a prefix)."""
    wanted, prefixes, long_words = _marking(query.terms)
    if not wanted:
        return html.escape(text)
    starts = prefixes + long_words
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        folded, stemmed = _folded(match.group())
        if stemmed in wanted or (starts and folded.startswith(starts)):
            out.append(html.escape(text[last : match.start()]))
            out.append(f"<mark>{html.escape(match.group())}</mark>")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
