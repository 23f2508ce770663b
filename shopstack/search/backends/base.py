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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shopstack.search.query import ParsedQuery, normalize, singular, words_of

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
    # field name -> HTML-escaped text with <mark> around matched words
    highlights: dict[str, str] = field(default_factory=dict)


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
    facets: dict[str, list[FacetCount]] = field(default_factory=dict)
    # False when the engine looked at a window of the matches only (a very broad query on a
    # big catalog): `total` and the facet counts are then estimates, see docs/search.md.
    exhaustive: bool = True


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


def highlight(text: str, query: ParsedQuery) -> str:
    """`text` HTML-escaped, with <mark> around words that match a query term (same word,
    same singular, or starting with a term typed as a prefix)."""
    wanted: set[str] = set()
    prefixes: list[str] = []
    for term in query.terms:
        for word in (term.word, *term.alternatives):
            for part in word.split():
                wanted.add(singular(part))
        if term.prefix:
            prefixes.append(term.word)
    if not wanted:
        return html.escape(text)
    out: list[str] = []
    last = 0
    for match in re.finditer(r"\w+", text):
        folded = normalize(match.group())
        stemmed = singular(folded)
        hit = stemmed in wanted or any(folded.startswith(p) for p in prefixes)
        hit = hit or any(len(w) > 3 and folded.startswith(w) for w in wanted)
        if hit:
            out.append(html.escape(text[last : match.start()]))
            out.append(f"<mark>{html.escape(match.group())}</mark>")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)
