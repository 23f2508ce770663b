"""Search endpoints: the catalog as shoppers ask for it, and autocomplete.

Parameters are parsed here; understanding the query, fallbacks, merchandising and the
search log are shopstack.search.services. Any text is a valid query: quotes, `*`, NEAR,
`-` and parentheses are plain characters, never engine syntax.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from shopstack.api.catalog import listing_image
from shopstack.api.schemas import ErrorOut, ListingImage
from shopstack.catalog.selectors import first_images
from shopstack.core.clients import client_address
from shopstack.core.errors import ValidationFailed
from shopstack.core.money import quantize
from shopstack.search import selectors
from shopstack.search.backends.base import SORTS, SearchFilters
from shopstack.search.services import MAX_PAGE, MAX_PER_PAGE, MAX_PRICE, search_products, search_suggest

router = Router(tags=["search"])

FACET_PATTERN = r"^[-a-zA-Z0-9_]+:[-a-zA-Z0-9_]+(,[-a-zA-Z0-9_]+)*$"
_FACET_RE = re.compile(FACET_PATTERN)
FacetFilter = Annotated[str, StringConstraints(pattern=FACET_PATTERN, max_length=300)]
_NO_FACETS: list[str] = []  # never mutated
ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
if TYPE_CHECKING:
    SearchSort = str
else:
    SearchSort = Literal[SORTS]


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class SearchHitOut(Schema):
    id: int
    name: str
    slug: str
    price: str
    currency: str
    in_stock: bool
    highlight: str  # the name, HTML-escaped, with <mark> around matched words
    image: ListingImage | None = Field(description="The product's first image, as in product lists.")


class DetectedOut(Schema):
    min_price: str | None
    max_price: str | None
    attributes: dict[str, list[str]]
    categories: list[str]
    corrections: dict[str, str]


class SearchOut(Schema):
    query: str  # the words searched for, after corrections and relaxing
    total: int
    # How many of `total` match every word (they come first); the rest match only some
    # words, listed after them when few match in full. An app can draw the line there.
    strict_total: int
    page: int
    limit: int
    did_you_mean: str | None
    notice: str | None  # why the results are not for exactly what was typed
    relaxed: bool
    detected: DetectedOut  # what the query was understood to ask for
    hits: list[SearchHitOut]
    facets: dict[str, list[FacetValueOut]]


class SuggestProductOut(Schema):
    id: int
    name: str
    slug: str
    highlight: str


class SuggestCategoryOut(Schema):
    name: str
    slug: str


class SuggestOut(Schema):
    products: list[SuggestProductOut]
    categories: list[SuggestCategoryOut]
    queries: list[str]


def _parse_facets(raw: list[str]) -> dict[str, tuple[str, ...]]:
    facets: dict[str, list[str]] = {}
    for item in raw:
        if not _FACET_RE.match(item):
            raise ValidationFailed(
                "A facet filter is not valid.", fields={"facet": [f"{item!r}: use name:value[,value]."]}
            )
        name, values = item.split(":", 1)
        facets.setdefault(name, []).extend(values.split(","))
    return {name: tuple(dict.fromkeys(values)) for name, values in facets.items()}


def _money(value: Decimal | None, currency: str = "GBP") -> str | None:
    return None if value is None else str(quantize(value, currency))


@router.get(
    "/search",
    response={200: SearchOut, **ERRORS},
    summary="Search products",
    operation_id="search",
)
def search(
    request: HttpRequest,
    q: Annotated[
        str,
        Query(
            max_length=500,
            description=(
                "What the shopper typed. Price phrases (`under 5`, `£5-£10`, `cheap`) become price "
                "filters, misspellings are corrected; colour and material words are searched as text "
                "(pick a facet to filter by one). Products matching only some of the words follow "
                "those that match all of them."
            ),
        ),
    ] = "",
    facet: Annotated[
        list[FacetFilter],
        Query(
            description=(
                "Facet filter `name:value[,value...]`, repeatable; `category:<slug>` or "
                "`<attribute>:<value>`, e.g. `facet=colour:red,blue`. Unknown names are 422."
            )
        ),
    ] = _NO_FACETS,
    min_price: Annotated[Decimal | None, Query(ge=0, le=MAX_PRICE)] = None,
    max_price: Annotated[Decimal | None, Query(ge=0, le=MAX_PRICE)] = None,
    in_stock: Annotated[bool | None, Query(description="Only products that can be bought now.")] = None,
    sort: Annotated[SearchSort, Query()] = "relevance",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 24,
) -> dict[str, Any]:
    """Products matching the query, one page, with facet counts over all matches.

    When nothing matches, the query is corrected or relaxed (filters dropped, then any
    word matching) and `notice` says so. An empty `q` needs at least one filter."""
    facets = _parse_facets(facet)
    if not q.strip() and not facets and min_price is None and max_price is None and in_stock is None:
        raise ValidationFailed("Give a query or a filter.", fields={"q": ["Type something to search for."]})
    filters = SearchFilters(facets=facets, min_price=min_price, max_price=max_price, in_stock=in_stock)
    outcome = search_products(
        text=q,
        filters=filters,
        sort=sort,
        page=page,
        per_page=limit,
        source="api",
        client_address=client_address(request),
    )
    documents = selectors.documents_by_id([hit.id for hit in outcome.result.hits])
    images = first_images(list(documents))
    hits = []
    for hit in outcome.result.hits:
        document = documents.get(hit.id)
        if document is None:
            continue
        hits.append(
            {
                "id": document.pk,
                "name": document.title,
                "slug": document.slug,
                "price": _money(document.price_amount, document.currency),
                "currency": document.currency,
                "in_stock": document.in_stock,
                "highlight": hit.highlights.get("title", ""),
                "image": listing_image(images.get(hit.id)),
            }
        )
    detected = outcome.detected
    return {
        "query": outcome.query.text,
        "total": outcome.result.total,
        "strict_total": outcome.strict_total,
        "page": page,
        "limit": limit,
        "did_you_mean": outcome.did_you_mean,
        "notice": outcome.notice,
        "relaxed": outcome.relaxed,
        "detected": {
            "min_price": _money(detected["min_price"]),  # type: ignore[arg-type]
            "max_price": _money(detected["max_price"]),  # type: ignore[arg-type]
            "attributes": {k: list(v) for k, v in detected["attributes"].items()},  # type: ignore[attr-defined]
            "categories": list(detected["categories"]),  # type: ignore[call-overload]
            "corrections": detected["corrections"],
        },
        "hits": hits,
        "facets": {
            name: [{"value": c.value, "label": c.label, "count": c.count} for c in counts]
            for name, counts in outcome.result.facets.items()
        },
    }


@router.get(
    "/search/suggest",
    response={200: SuggestOut, **ERRORS},
    summary="Autocomplete",
    operation_id="search_suggest",
)
def suggest(
    request: HttpRequest,
    q: Annotated[str, Query(max_length=200, description="What has been typed so far.")] = "",
) -> dict[str, Any]:
    """Products whose names start with what was typed, matching categories and popular
    searches. An empty `q` gives empty lists."""
    found = search_suggest(text=q)
    return {
        "products": [
            {"id": p["id"], "name": p["title"], "slug": p["slug"], "highlight": p["highlighted"]}
            for p in found.products
        ],
        "categories": found.categories,
        "queries": found.queries,
    }
