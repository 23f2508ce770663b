"""Searching as shoppers see it: understand the query, ask the backend, fall back when
nothing matches, apply staff merchandising, and log the search.

The storefront and the API call `search_products`, `search_suggest` and `search_click`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, Max

from shopstack.catalog.models import Attribute, AttributeValue, Category, Product
from shopstack.core.errors import ValidationFailed
from shopstack.search.backends.base import SORTS, Placement, SearchFilters, SearchResult
from shopstack.search.indexing import index_sync, search_backend
from shopstack.search.models import MerchandisingRule, SearchQuery, Synonym
from shopstack.search.query import (
    MAX_QUERY_CHARS,
    ParsedQuery,
    QueryKnowledge,
    best_correction,
    normalize,
    parse_query,
    relaxations,
    singular,
    synonym_map,
    with_corrections,
    words_of,
)

MAX_PAGE = 200
MAX_PER_PAGE = 100
KNOWLEDGE_SECONDS = 60


@dataclass(frozen=True)
class SearchOutcome:
    query: ParsedQuery
    result: SearchResult
    filters: SearchFilters
    sort: str
    page: int
    per_page: int
    # A better spelling of what was typed, offered when the search found something.
    did_you_mean: str | None = None
    # Set when the results come from a corrected or relaxed query, to tell the shopper.
    notice: str | None = None
    relaxed: bool = False
    log_id: int | None = None
    detected: dict[str, object] = field(default_factory=dict)


def query_knowledge() -> QueryKnowledge:
    """Attribute values, category names and synonyms; cached for a minute and renewed at
    once when a synonym changes."""
    stamp = Synonym.objects.aggregate(stamp=Max("updated_at"), count=Count("id"))
    changed = stamp["stamp"].timestamp() if stamp["stamp"] else 0
    key = f"search:knowledge:{changed}:{stamp['count']}"
    knowledge = cache.get(key)
    if knowledge is None:
        values: dict[str, tuple[str, str]] = {}
        named = AttributeValue.objects.filter(attribute__filterable=True)
        for attribute_slug, slug, name in named.values_list("attribute__slug", "slug", "name"):
            phrase = " ".join(words_of(normalize(name)))
            if phrase:
                values.setdefault(phrase, (attribute_slug, slug))
        categories: dict[str, str] = {}
        for slug, name in Category.objects.filter(is_published=True).values_list("slug", "name"):
            words = words_of(normalize(name))
            if words:
                categories.setdefault(" ".join([*words[:-1], singular(words[-1])]), slug)
        groups = [synonym.word_list() for synonym in Synonym.objects.filter(is_active=True)]
        knowledge = QueryKnowledge(
            attribute_values=values, categories=categories, synonyms=synonym_map(groups)
        )
        cache.set(key, knowledge, KNOWLEDGE_SECONDS)
    return knowledge  # type: ignore[no-any-return]


def _corrections(query: ParsedQuery, *, rare_too: bool) -> dict[str, str]:
    """Likely intended words for misspelt ones: words the index does not know, and with
    `rare_too`, known words far rarer than a close one ("candel" beside "candle")."""
    backend = search_backend()
    words = [term.word for term in query.terms if not term.prefix]
    known = backend.known_terms({*words, *(singular(word) for word in words)})
    corrections = {}
    for word in words:
        if word.isdigit():
            continue
        is_known = word in known or singular(word) in known
        if is_known and not rare_too:
            continue
        candidates = backend.similar_terms(word)
        if is_known:
            own = max([frequency for term, frequency in candidates if term == word] or [1])
            candidates = [(term, freq) for term, freq in candidates if term != word and freq >= 10 * own]
        better = best_correction(word, candidates)
        if better and singular(better) != singular(word):
            corrections[word] = better
    return corrections


def _placement(text: str) -> Placement:
    key = normalize(text)
    if not key:
        return Placement()
    rules = list(
        MerchandisingRule.objects.filter(query__iexact=key, is_active=True)
        .order_by("position", "id")
        .values_list("product_id", "action")
    )
    if rules:
        # Asked apart: joined to the products, the planner may walk the whole catalog.
        published = set(
            Product.objects.filter(pk__in=[pk for pk, _ in rules], is_published=True).values_list(
                "pk", flat=True
            )
        )
        rules = [(pk, action) for pk, action in rules if pk in published]
    return Placement(
        pinned=tuple(pk for pk, action in rules if action == MerchandisingRule.Action.PIN),
        boosted=tuple(pk for pk, action in rules if action == MerchandisingRule.Action.BOOST),
    )


def _merged(filters: SearchFilters, query: ParsedQuery) -> SearchFilters:
    """The shopper's filters, plus what the words implied where the shopper chose nothing."""
    facets = dict(filters.facets)
    for name, values in query.attributes.items():
        facets.setdefault(name, values)
    return replace(
        filters,
        facets=facets,
        min_price=filters.min_price if filters.min_price is not None else query.min_price,
        max_price=filters.max_price if filters.max_price is not None else query.max_price,
    )


FACET_NAMES_SECONDS = 60


def _facet_names() -> set[str]:
    """Facet names a request may filter by; cached a minute (a new filterable attribute is
    accepted as a facet within a minute), since every search checks them."""
    names = cache.get("search:facet-names")
    if names is None:
        names = {"category", *Attribute.objects.filter(filterable=True).values_list("slug", flat=True)}
        cache.set("search:facet-names", names, FACET_NAMES_SECONDS)
    return names  # type: ignore[no-any-return]


def _check(filters: SearchFilters, sort: str, page: int, per_page: int) -> None:
    errors: dict[str, list[str]] = {}
    if sort not in SORTS:
        errors["sort"] = [f"Must be one of: {', '.join(SORTS)}."]
    if not 1 <= page <= MAX_PAGE:
        errors["page"] = [f"Must be between 1 and {MAX_PAGE}."]
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors["limit"] = [f"Must be between 1 and {MAX_PER_PAGE}."]
    for name in ("min_price", "max_price"):
        value = getattr(filters, name)
        if value is not None and (not value.is_finite() or value < 0):
            errors[name] = ["Must be a number, zero or more."]
    if (
        not errors
        and filters.min_price is not None
        and filters.max_price is not None
        and filters.min_price > filters.max_price
    ):
        errors["max_price"] = ["Must not be less than the minimum price."]
    unknown = sorted(set(filters.facets) - _facet_names())
    if unknown:
        errors["facet"] = [f"Unknown facet {name!r}." for name in unknown[:5]]
    if errors:
        raise ValidationFailed("The search request is not valid.", fields=errors)


def search_products(
    *,
    text: str,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 24,
    source: str = "web",
    log: bool = True,
) -> SearchOutcome:
    """Search the catalog as a shopper means it. Raises ValidationFailed for a bad sort,
    page or price range; any text is accepted (syntax characters are plain text)."""
    filters = filters or SearchFilters()
    _check(filters, sort, page, per_page)
    index_sync()
    backend = search_backend()
    knowledge = query_knowledge()
    parsed = parse_query(text[: MAX_QUERY_CHARS * 4], knowledge=knowledge)
    placement = _placement(text) if page == 1 or sort == "relevance" else Placement()

    def run(query: ParsedQuery) -> SearchResult:
        merged = _merged(filters, query)
        return backend.search(
            query, filters=merged, sort=sort, page=page, per_page=per_page, placement=placement
        )

    result = run(parsed)
    used, notice, did_you_mean, relaxed = parsed, None, None, False
    corrections = _corrections(parsed, rare_too=0 < result.total < 5) if parsed.terms else {}
    corrected = with_corrections(parsed, corrections, knowledge)
    if corrections and result.total == 0:
        result = run(corrected)
        used = corrected
        if result.total:
            notice = f"Showing results for “{corrected.text}”, not “{parsed.text}”."
    elif corrections:
        did_you_mean = corrected.text
    if result.total == 0:
        for looser, note in relaxations(used):
            looser_result = run(looser)
            if looser_result.total:
                result, used, notice, relaxed = looser_result, looser, note, True
                break
    outcome = SearchOutcome(
        query=used,
        result=result,
        filters=_merged(filters, used),
        sort=sort,
        page=page,
        per_page=per_page,
        did_you_mean=did_you_mean,
        notice=notice,
        relaxed=relaxed,
        detected={
            "min_price": used.min_price,
            "max_price": used.max_price,
            "attributes": used.attributes,
            "categories": used.categories,
            "corrections": used.corrections,
        },
    )
    if log and page == 1 and (parsed.terms or parsed.attributes):
        outcome = replace(outcome, log_id=_log(text, used, outcome, source))
    return outcome


def _log(text: str, used: ParsedQuery, outcome: SearchOutcome, source: str) -> int:
    filters = outcome.filters
    entry = SearchQuery.objects.create(
        query=text[:200],
        normalized=normalize(text)[:200],
        filters={
            "facets": {name: list(values) for name, values in filters.facets.items()},
            "min_price": _text(filters.min_price),
            "max_price": _text(filters.max_price),
            "in_stock": filters.in_stock,
            "sort": outcome.sort,
            "corrections": used.corrections,
        },
        result_count=outcome.result.total,
        relaxed=outcome.relaxed or bool(used.corrections),
        source=source[:8],
    )
    return entry.pk


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Suggestions:
    products: list[dict[str, object]]
    categories: list[dict[str, str]]
    queries: list[str]


def search_suggest(*, text: str, limit: int = 6) -> Suggestions:
    """Autocomplete: products whose names start with what was typed, matching
    categories, and popular searches that found something."""
    prefix = normalize(text)
    if not words_of(prefix):
        return Suggestions(products=[], categories=[], queries=[])
    index_sync()
    products = [
        {"id": s.id, "title": s.title, "slug": s.slug, "highlighted": s.highlighted}
        for s in search_backend().suggest(prefix, limit=limit)
    ]
    first = words_of(prefix)[0]
    categories = [
        {"name": name, "slug": slug}
        for slug, name in Category.objects.filter(is_published=True, name__icontains=first).values_list(
            "slug", "name"
        )[:50]
        if normalize(name).startswith(prefix)
        or any(word.startswith(prefix) for word in words_of(normalize(name)))
    ][:3]
    queries = list(
        SearchQuery.objects.filter(normalized__startswith=prefix, result_count__gt=0)
        .values("normalized")
        .annotate(times=Count("id"))
        .order_by("-times", "normalized")
        .values_list("normalized", flat=True)[:3]
    )
    return Suggestions(products=products, categories=categories, queries=queries)


def search_click(*, log_id: int, product_id: int, position: int | None = None) -> None:
    """Note which result a search led to (the first click counts)."""
    SearchQuery.objects.filter(pk=log_id, clicked_product__isnull=True).update(
        clicked_product_id=product_id, clicked_position=position
    )
