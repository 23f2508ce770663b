"""The search index, synonyms, merchandising rules and the search log.

`SearchDocument` and `SearchFacet` hold what every backend filters, sorts and counts on,
in ordinary tables on both tiers. The full-text part lives in the backend's own table
(an FTS5 virtual table on SQLite, a tsvector table on PostgreSQL), keyed by product id.
"""

from __future__ import annotations

from django.db import models


class SearchDocument(models.Model):
    """One indexed product: the sortable and filterable values, and the stamp it came from."""

    product = models.OneToOneField(
        "catalog.Product", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(max_length=200)
    slug = models.CharField(max_length=220)
    price_amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    in_stock = models.BooleanField()
    units_sold = models.PositiveIntegerField()
    # log(1 + units_sold): a gentle lift for best sellers in relevance order.
    popularity = models.FloatField(default=0)
    published_at = models.DateTimeField(null=True)
    # Product.updated_at this document was built from: a differing value means stale.
    source_updated_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=("price_amount",), name="search_doc_price"),
            models.Index(fields=("-units_sold",), name="search_doc_sold"),
            models.Index(fields=("-published_at",), name="search_doc_new"),
        ]

    def __str__(self) -> str:
        return self.title


class SearchFacet(models.Model):
    """A (name, value) a document can be filtered and counted by: ("category", "12"),
    ("colour", "red"). A product is in its categories and all their ancestors."""

    document = models.ForeignKey(SearchDocument, on_delete=models.CASCADE, related_name="facets")
    name = models.CharField(max_length=64)
    value = models.CharField(max_length=64)
    label = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=("name", "value", "document"), name="search_facet_lookup")]
        constraints = [
            models.UniqueConstraint(fields=("document", "name", "value"), name="search_facet_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class SearchTerm(models.Model):
    """The vocabulary of the index (unstemmed words), for typo correction and "did you mean".

    `frequency` counts documents that used the word when they were indexed; a full reindex
    recounts it exactly, incremental indexing only adds."""

    term = models.CharField(max_length=64, unique=True)
    frequency = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.term


class SearchState(models.Model):
    """One row: the newest Product.updated_at the index has caught up with."""

    key = models.CharField(max_length=32, unique=True)
    indexed_until = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return self.key


class Synonym(models.Model):
    """Words shoppers use for the same thing, e.g. "mug, cup" or "xmas, christmas".

    A query word in the group also finds products described with any other word of it."""

    words = models.CharField(
        max_length=300, unique=True, help_text="Comma-separated words or phrases that mean the same"
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("words",)

    def __str__(self) -> str:
        return self.words

    def word_list(self) -> list[str]:
        return [word.strip().lower() for word in self.words.split(",") if word.strip()]


class MerchandisingRule(models.Model):
    """Staff placement of a product for a query: pinned to the top, or boosted in ranking."""

    class Action(models.TextChoices):
        PIN = "pin", "Pin to the top"
        BOOST = "boost", "Boost"

    query = models.CharField(max_length=200, help_text="The search text it applies to (any case)")
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.PIN)
    position = models.PositiveIntegerField(default=0, help_text="Order among pinned products")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ("query", "position", "id")
        indexes = [models.Index(fields=("query",), name="search_rule_query")]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.product_id} for {self.query!r}"


class SearchQuery(models.Model):
    """One search a shopper made, and the result they clicked, for analytics."""

    query = models.CharField(max_length=200)
    normalized = models.CharField(max_length=200, db_index=True)
    filters = models.JSONField(default=dict, blank=True)
    result_count = models.PositiveIntegerField()
    relaxed = models.BooleanField(default=False, help_text="Results came from a relaxed query")
    source = models.CharField(max_length=8, default="web")
    clicked_product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    clicked_position = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Made when the search runs (the row is written after the response): result links carry
    # it so that a click finds its search. Empty on rows written before it existed.
    token = models.UUIDField(null=True, blank=True, editable=False, db_index=True)
    # Who searched, for counting distinct visitors (popular.py): the client's network, keyed
    # with the secret key (no address is kept). Empty when unknown (a task, the shell).
    visitor = models.CharField(max_length=16, blank=True, default="", editable=False)

    class Meta:
        verbose_name_plural = "search queries"
        indexes = [models.Index(fields=("result_count", "normalized"), name="search_log_zero")]

    def __str__(self) -> str:
        return self.query


class PopularSearch(models.Model):
    """A search autocomplete suggests to everyone: made by several visitors (distinct client
    networks, `SEARCH_POPULAR_MIN_VISITORS`) in the last `SEARCH_POPULAR_DAYS` days, and it
    found products. Rebuilt from the log by `popular_searches_refresh` (popular.py)."""

    normalized = models.CharField(max_length=200, unique=True)
    visitors = models.PositiveIntegerField()

    class Meta:
        ordering = ("-visitors", "normalized")

    def __str__(self) -> str:
        return self.normalized


class BlockedSearch(models.Model):
    """A search staff never want suggested: the text as typed (any case and accents), or a
    pattern where `*` stands for any text. Applies to suggestions at once, on every process."""

    pattern = models.CharField(
        max_length=200,
        unique=True,
        help_text="A search (any case), or a pattern with * for any text: "
        "'casino', '*casino*', 'buy * online'",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why, for the other staff")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("pattern",)
        verbose_name_plural = "blocked searches"

    def __str__(self) -> str:
        return self.pattern
