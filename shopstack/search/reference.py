"""Per-process copies of what every search reads and staff rarely change: merchandising rules
(pins and boosts), synonyms with the attribute values and category names queries are
understood by, the names and headings of the facets, and the staff's blocks on popular
searches.

Kept in a `ReferenceCache` (shopstack/core/reference.py): one small stamp row per use
instead of the queries themselves. Saving or deleting a synonym, a merchandising rule or a
block (the admin's edits) renews the stamp, so every process searches with it from its next search on.
Attribute values, category names and filterable attributes are catalog rows this app does not
watch: they are renewed at most a minute old (`MAX_AGE`), as the cache they came from was
(autocomplete's categories too, which it read from the database on every keystroke).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopstack.catalog.models import Attribute, AttributeValue, Category
from shopstack.core.reference import ReferenceCache, track_reference_models
from shopstack.search.models import BlockedSearch, MerchandisingRule, Synonym
from shopstack.search.popular import BlockList
from shopstack.search.query import QueryKnowledge, normalize, singular, synonym_map, words_of

STAMP = "search"
MAX_AGE = 60.0


@dataclass(frozen=True)
class SearchReference:
    knowledge: QueryKnowledge
    # The rule's query in lower case (it applies to a search whose normalised text equals it in
    # any case) -> (product id, action) in the staff's order; active rules only.
    rules: dict[str, tuple[tuple[int, str], ...]]
    # Facet name -> heading: "category" and the filterable attributes.
    facet_titles: dict[str, str]
    # Published categories in the catalog's order, for autocomplete: (slug, name, name in
    # lower case, normalised name, its words).
    categories: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = ()
    # Staff blocks on popular searches (popular.py).
    blocked: BlockList = field(default_factory=BlockList)

    @property
    def facet_names(self) -> set[str]:
        return set(self.facet_titles)


def _knowledge() -> QueryKnowledge:
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
    return QueryKnowledge(attribute_values=values, categories=categories, synonyms=synonym_map(groups))


def _load() -> SearchReference:
    rules: dict[str, list[tuple[int, str]]] = {}
    for query, product_id, action in (
        MerchandisingRule.objects.filter(is_active=True)
        .order_by("position", "id")
        .values_list("query", "product_id", "action")
    ):
        rules.setdefault(query.lower(), []).append((product_id, action))
    titles = {
        "category": "Category",
        **dict(Attribute.objects.filter(filterable=True).values_list("slug", "name")),
    }
    categories = tuple(
        (slug, name, name.lower(), normalize(name), tuple(words_of(normalize(name))))
        for slug, name in Category.objects.filter(is_published=True).values_list("slug", "name")
    )
    return SearchReference(
        knowledge=_knowledge(),
        rules={query: tuple(found) for query, found in rules.items()},
        facet_titles=titles,
        categories=categories,
        blocked=BlockList.of(list(BlockedSearch.objects.values_list("pattern", flat=True))),
    )


_cache = ReferenceCache(STAMP, _load, max_age=MAX_AGE)


def search_reference() -> SearchReference:
    """The rules, knowledge and facets as of the last change (attribute values and category
    names: at most MAX_AGE seconds old)."""
    return _cache.get()


def track_changes() -> None:
    """Renew the stamp whenever a synonym, a merchandising rule or a block on popular
    searches is saved or deleted."""
    track_reference_models(STAMP, [Synonym, MerchandisingRule, BlockedSearch])
