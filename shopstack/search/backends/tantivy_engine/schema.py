"""The tantivy index's fields and how a `ProductDocument` becomes a tantivy document.

Text arrives already folded and split by query.index_text (the function the SQL engines
index with), so the tokenizer only splits on spaces and stems (Snowball English, as FTS5's
porter and PostgreSQL's english configuration do): every engine sees the same words.
Sorting, filtering and counting read fast fields (tantivy's column store).
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from decimal import Decimal

import tantivy

from shopstack.search.backends.base import ProductDocument
from shopstack.search.query import index_text

TOKENIZER = "shop_words"
# Field -> BM25 weight: the weights of the SQLite engine (title 10 > aliases, attributes 6 >
# categories 3 > description 1).
TEXT_FIELDS: dict[str, float] = {
    "title": 10.0,
    "aliases": 6.0,
    "attributes": 6.0,
    "categories": 3.0,
    "description": 1.0,
}
SUGGEST_FIELDS = ("title", "aliases")
# Between a facet's name, value and label in the facet fields (never in a slug or a label).
SEP = "\x1f"
ID_BITS = 32
ID_MASK = (1 << ID_BITS) - 1
MAX_SORT_HIGH = (1 << 31) - 1  # the high half of a sort key stays clear of the sign bit
# Publication times count seconds from 2000 (a 31-bit high half lasts until 2068).
EPOCH_2000 = 946_684_800
# Relevance lifts best sellers as sql.py does: score x (1 + POPULARITY x log(1 + units sold)).
POPULARITY = 0.02
SUGGEST_POPULARITY = 0.1
DESCRIPTION_CHARS = 20_000


def analyzer() -> tantivy.TextAnalyzer:
    """Whitespace split (index_text already split the words), long words dropped, stemmed."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=TOKENIZER, index_option="position")
    # What a hit or a suggestion shows, so a page needs no database read.
    builder.add_text_field("shown_title", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("shown_slug", stored=True, tokenizer_name="raw", index_option="basic")
    # "colour<SEP>red" to filter by; "colour<SEP>red<SEP>Red" to count (the label rides along).
    builder.add_text_field("facet", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("facet_label", tokenizer_name="raw", index_option="basic", fast=True)
    # The same facet values as numbers (facet_id of "name<SEP>value<SEP>label"), which is what
    # is counted: a terms aggregation over integers costs a fifth of one over strings.
    builder.add_integer_field("facet_id", indexed=True, fast=True)
    builder.add_integer_field("price_pence", indexed=True, fast=True)
    builder.add_boolean_field("in_stock", indexed=True, fast=True)
    builder.add_integer_field("units_sold", fast=True)
    # One key per sort order, so that ties break by product id as in sql.ORDER_BY.
    builder.add_integer_field("key_price", fast=True)
    builder.add_integer_field("key_sold", fast=True)
    builder.add_integer_field("key_new", fast=True)
    # tantivy multiplies a score by log2(2 + weight) (weight_by_field): these hold the weight
    # that turns into the popularity factor.
    builder.add_float_field("rank_weight", fast=True)
    builder.add_float_field("suggest_weight", fast=True)
    return builder.build()


def facet_key(name: str, value: str, label: str) -> str:
    return f"{name}{SEP}{value}{SEP}{label}"


def facet_id(key: str) -> int:
    """A facet key's number: 52 bits of its BLAKE2b hash (exact through the aggregation's
    JSON, whose numbers are doubles; a clash between two of a catalog's few thousand facet
    values has odds of about one in a billion)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest()) >> 12


def pence(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def sort_key(high: int, product_id: int) -> int:
    """`high` in the upper bits and the product id in the lower 32: one integer that orders
    by `high`, then by id."""
    if not 0 <= product_id <= ID_MASK:
        raise ValueError(f"product id {product_id} does not fit the search key")
    return (min(max(high, 0), MAX_SORT_HIGH) << ID_BITS) | product_id


def weight_for(factor: float) -> float:
    """The weight_by_field value for which tantivy's log2(2 + weight) equals `factor` (>= 1)."""
    return max(2.0**factor - 2.0, 0.0)


def _published_seconds(value: datetime | None) -> int:
    # Unpublished dates sort last (oldest), as NULL does in SQLite's DESC order.
    return int(value.timestamp()) - EPOCH_2000 if value is not None else 0


def to_tantivy(document: ProductDocument) -> tantivy.Document:
    popularity = math.log1p(max(document.units_sold, 0))
    price_pence = pence(document.price)
    facets = list(dict.fromkeys((name[:64], value[:64], label) for name, value, label in document.facets))
    labels = [facet_key(name, value, label) for name, value, label in facets]
    return tantivy.Document.from_dict(
        {
            "id": document.id,
            "title": index_text(document.title),
            "aliases": index_text(" ; ".join(document.aliases)),
            "attributes": index_text(" ; ".join(document.attributes)),
            "categories": index_text(" ; ".join(document.categories)),
            "description": index_text(document.description[:DESCRIPTION_CHARS]),
            "shown_title": document.title[:200],
            "shown_slug": document.slug,
            "facet": [f"{name}{SEP}{value}" for name, value, _label in facets],
            "facet_label": labels,
            "facet_id": [facet_id(key) for key in labels],
            "price_pence": price_pence,
            "in_stock": bool(document.in_stock),
            "units_sold": max(document.units_sold, 0),
            # Prices up to MAX_SORT_HIGH pence (£21m) order exactly; dearer ones tie at the top.
            "key_price": sort_key(price_pence, document.id),
            # Best sellers first, then the lower id: the id half is inverted for the DESC walk.
            "key_sold": sort_key(document.units_sold, ID_MASK - document.id),
            "key_new": sort_key(_published_seconds(document.published_at), document.id),
            "rank_weight": weight_for(1.0 + POPULARITY * popularity),
            "suggest_weight": weight_for(1.0 + SUGGEST_POPULARITY * popularity),
        },
        SCHEMA,
    )


SCHEMA = build_schema()
