"""Searching as shoppers see it: understand the query, ask the backend, fall back when
nothing matches, apply staff merchandising, and log the search.

The storefront and the API call `search_products`, `search_suggest` and `search_click`.
"""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass, field, replace
from decimal import Decimal

from shopstack.catalog.models import Product
from shopstack.core.errors import ValidationFailed
from shopstack.search.backends.base import SORTS, Placement, SearchFilters, SearchResult, settled
from shopstack.search.indexing import index_sync, search_backend
from shopstack.search.log import new_token, search_log_add
from shopstack.search.models import MerchandisingRule, SearchDocument, SearchQuery
from shopstack.search.popular import popular_searches_for, visitor_key
from shopstack.search.query import (
    MAX_QUERY_CHARS,
    ParsedQuery,
    Term,
    is_partial_match_worthy,
    is_unspaced_script,
    normalize,
    parse_query,
    relaxations,
    with_corrections,
    without_intent_filters,
    words_of,
)
from shopstack.search.reference import SearchReference, search_reference
from shopstack.search.tiers import Tier, TieredResult, search_in_tiers
from shopstack.search.understanding import (
    Vocabulary,
    compounds_for,
    corrections_for,
    unknown_words,
)

MAX_PAGE = 200
MAX_PER_PAGE = 100
# The price columns' limit (12 digits, 2 places); engines that count in pence overflow
# far above it, so a larger bound is refused rather than passed on.
MAX_PRICE = Decimal("9999999999.99")


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
    # The search log row's token (see log.py), for the click links; None when not logged.
    log_token: str | None = None
    # How many products match every word and every filter the words implied; `result.total`
    # also counts the looser matches listed after them (see tiers.py).
    strict_total: int = 0
    detected: dict[str, object] = field(default_factory=dict)


def _placement(text: str, reference: SearchReference) -> Placement:
    key = normalize(text)
    if not key:
        return Placement()
    # The rules are kept per process (reference.py); most searches have none.
    rules = list(reference.rules.get(key.lower(), ()))
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


# British and American spellings of attribute names: a catalog imported from CSV calls the
# attribute "color", the demo shop "colour"; a request may use either.
FACET_SPELLINGS = {"color": "colour", "colour": "color", "grey": "gray", "gray": "grey"}


def facet_name(name: str, known: set[str]) -> str:
    """The catalog's name for a facet a request names in either spelling."""
    if name in known:
        return name
    other = FACET_SPELLINGS.get(name)
    return other if other in known else name


def _with_facet_spellings(filters: SearchFilters, known: set[str]) -> SearchFilters:
    if all(name in known for name in filters.facets):
        return filters
    facets: dict[str, tuple[str, ...]] = {}
    for name, values in filters.facets.items():
        own = facet_name(name, known)
        facets[own] = tuple(dict.fromkeys((*facets.get(own, ()), *values)))
    return replace(filters, facets=facets)


def _check(filters: SearchFilters, sort: str, page: int, per_page: int, known: set[str]) -> None:
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
        elif value is not None and value > MAX_PRICE:
            errors[name] = [f"Must be at most {MAX_PRICE}."]
    if (
        not errors
        and filters.min_price is not None
        and filters.max_price is not None
        and filters.min_price > filters.max_price
    ):
        errors["max_price"] = ["Must not be less than the minimum price."]
    unknown = sorted(set(filters.facets) - known)
    if unknown:
        errors["facet"] = [f"Unknown facet {name!r}." for name in unknown[:5]]
    if errors:
        raise ValidationFailed("The search request is not valid.", fields=errors)


def _tiers(
    query: ParsedQuery,
    filters: SearchFilters,
    vocabulary: Vocabulary,
    joined: ParsedQuery | None = None,
    corrected: ParsedQuery | None = None,
) -> list[Tier]:
    """What to search, in order: every word; the same with neighbouring words read as one
    (`joined`); every word of the "did you mean" spelling (`corrected`: a word the catalog
    has, but rarely, beside a far commoner one); then any word of all of these.

    Words that name an attribute value are searched as text (title and attribute matches
    rank first), not as a filter: measured on the demo judgement set, filtering by them
    ranked worse on both engines (docs/search-eval.md). The shopper's own facets and the
    price phrase hold in every tier."""
    query = without_intent_filters(query)
    tiers = [Tier(query, _merged(filters, query))]
    others: list[Term] = []
    if joined is not None:
        joined = without_intent_filters(joined)
        tiers.append(Tier(joined, _merged(filters, joined)))
        others.extend(joined.terms)
    if corrected is not None:
        corrected = without_intent_filters(corrected)
        tiers.append(Tier(corrected, _merged(filters, corrected), full=False))
        others.extend(corrected.terms)
    if (is_partial_match_worthy(query) or others) and not query.match_any:
        extra = tuple(dict.fromkeys(term for term in others if term not in query.terms))
        unknown = set(unknown_words(query, vocabulary))
        loose_terms = tuple(
            replace(term, prefix=True) if term.word in unknown else term for term in query.terms
        )
        any_word = replace(query, terms=loose_terms + extra, match_any=True)
        tiers.append(Tier(any_word, _merged(filters, query), full=False))
    return tiers


PARTIAL_NOTICE = "No product matches every word; showing ones that match some."


def search_products(
    *,
    text: str,
    filters: SearchFilters | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 24,
    source: str = "web",
    log: bool = True,
    client_address: str = "",
) -> SearchOutcome:
    """Search the catalog as a shopper means it. Raises ValidationFailed for a bad sort,
    page or price range; any text is accepted (syntax characters are plain text).
    `client_address` (core.clients.client_address of the request) tells visitors apart in the log, for
    popular searches."""
    # Rules, synonyms and facet names as of the last change, read once for the search (a
    # facet name added to the catalog is accepted within a minute: reference.py).
    reference = search_reference()
    known = reference.facet_names
    filters = _with_facet_spellings(filters or SearchFilters(), known)
    _check(filters, sort, page, per_page, known)
    index_sync()
    backend = search_backend()
    knowledge = reference.knowledge
    parsed = parse_query(text[: MAX_QUERY_CHARS * 4], knowledge=knowledge)
    vocabulary = Vocabulary()
    parsed, _joined = compounds_for(parsed, vocabulary)
    placement = _placement(text, reference) if page == 1 or sort == "relevance" else Placement()

    def run(query: ParsedQuery, corrected: ParsedQuery | None = None) -> TieredResult:
        joined = _joined if query is parsed else compounds_for(query, vocabulary)[1]
        tiers = _tiers(query, filters, vocabulary, joined, corrected)
        return search_in_tiers(backend, tiers, sort=sort, page=page, per_page=per_page, placement=placement)

    tiered = run(parsed)
    used, notice, did_you_mean = parsed, None, None
    few = 0 < tiered.strict_total < 5
    corrections = corrections_for(parsed, knowledge, vocabulary, rare_too=few) if parsed.terms else {}
    corrected = with_corrections(parsed, corrections, knowledge)
    if corrections and tiered.strict_total == 0:
        fixed = run(corrected)
        # The corrected words win when they match in full, or when the words as typed find
        # nothing at all.
        if fixed.strict_total or (fixed.result.total and not tiered.result.total):
            tiered, used = fixed, corrected
            notice = f"Showing results for “{corrected.text}”, not “{parsed.text}”."
    elif corrections:
        # The few full matches first, then what the likelier spelling finds.
        did_you_mean = corrected.text
        tiered = run(parsed, corrected)
    relaxed = False
    if tiered.result.total == 0:
        for looser, note in relaxations(used):
            looser_tiered = run(looser)
            if looser_tiered.result.total:
                tiered, used, notice, relaxed = looser_tiered, looser, note, True
                break
    elif tiered.strict_total == 0:
        relaxed = True
        notice = notice or PARTIAL_NOTICE
    # Only this result is shown: its facets are counted and its hits highlighted now.
    result = settled(tiered.result)
    outcome = SearchOutcome(
        # What was searched: attribute words are in the text (`detected` still names them).
        query=without_intent_filters(used),
        result=result,
        # The filters every listed product meets (attribute words are searched as text).
        filters=_merged(filters, without_intent_filters(used)),
        sort=sort,
        page=page,
        per_page=per_page,
        did_you_mean=did_you_mean,
        notice=notice,
        relaxed=relaxed,
        strict_total=tiered.strict_total,
        detected={
            "min_price": used.min_price,
            "max_price": used.max_price,
            "attributes": used.attributes,
            "categories": used.categories,
            "corrections": used.corrections,
        },
    )
    if log and page == 1 and (parsed.terms or parsed.attributes):
        outcome = replace(outcome, log_token=_log(text, used, outcome, source, client_address))
    return outcome


def _log(text: str, used: ParsedQuery, outcome: SearchOutcome, source: str, client_address: str) -> str:
    """Log the search (written after the response inside a request: log.py); its token."""
    filters = outcome.filters
    token = new_token()
    entry = SearchQuery(
        token=token,
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
        visitor=visitor_key(client_address),
    )
    search_log_add(entry)
    return token.hex


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Suggestions:
    products: list[dict[str, object]]
    categories: list[dict[str, str]]
    queries: list[str]


def search_suggest(*, text: str, limit: int = 6) -> Suggestions:
    """Autocomplete: products whose names start with what was typed, matching
    categories, and popular searches (several visitors made them, they found products and
    staff did not block them: popular.py)."""
    prefix = normalize(text)
    if not words_of(prefix):
        return Suggestions(products=[], categories=[], queries=[])
    index_sync()
    words = words_of(prefix)
    if len(words) == 1 and len(words[0]) == 1 and is_unspaced_script(words[0]):
        products = _one_character_suggestions(words[0], limit=limit)
    else:
        products = [
            {"id": s.id, "title": s.title, "slug": s.slug, "highlighted": s.highlighted}
            for s in search_backend().suggest(prefix, limit=limit)
        ]
    first = words_of(prefix)[0]
    # The published categories whose name holds the first word (at most 50, in the catalog's
    # order), then those whose name or one of its words starts with what was typed.
    reference = search_reference()
    holding = [row for row in reference.categories if first in row[2]][:50]
    categories = [
        {"name": name, "slug": slug}
        for slug, name, _lower, folded, name_words in holding
        if folded.startswith(prefix) or any(word.startswith(prefix) for word in name_words)
    ][:3]
    queries = popular_searches_for(prefix, blocked=reference.blocked)
    return Suggestions(products=products, categories=categories, queries=queries)


def _one_character_suggestions(character: str, *, limit: int) -> list[dict[str, object]]:
    """Products for one Chinese or Japanese character: a word on its own ("烛", candle), which
    the engines' suggest leaves until a second letter (one Latin letter matches too much).
    Indexed text carries single characters, so a plain search for it finds them."""
    query = ParsedQuery(raw=character, terms=(Term(word=character),))
    hits = search_backend().search(query, filters=SearchFilters(), per_page=limit).hits
    documents = SearchDocument.objects.in_bulk([hit.id for hit in hits])
    mark = f"<mark>{html.escape(character)}</mark>"
    return [
        {
            "id": hit.id,
            "title": documents[hit.id].title,
            "slug": documents[hit.id].slug,
            "highlighted": html.escape(documents[hit.id].title).replace(html.escape(character), mark),
        }
        for hit in hits
        if hit.id in documents
    ]


def search_click(*, log_token: str, product_id: int, position: int | None = None) -> None:
    """Note which result a search led to (the first click counts). The search is known only
    by its log token (`SearchOutcome.log_token`, random, carried by the result links it made):
    never by the row's id, which counts up, so anyone could name another shopper's search."""
    try:
        token = uuid.UUID(log_token)
    except ValueError:
        return  # not a token of ours: nothing to note
    SearchQuery.objects.filter(token=token, clicked_product__isnull=True).update(
        clicked_product_id=product_id, clicked_position=position
    )
