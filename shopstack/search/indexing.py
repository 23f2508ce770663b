"""Building search documents from the catalog and keeping the index in step with it.

Freshness without hooks in the catalog: every catalog write moves Product.updated_at
(an indexed column), so `index_sync` finds what changed since the index last caught up
with one cheap query and reindexes just those products. Searches call it first, so a
product, price or stock change is searchable on the next search. A backlog too large
for a request (a catalogue-wide price change) is announced as an event whose handler
catches up in a worker; `manage.py search_reindex` rebuilds everything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shopstack.catalog.models import AttributeValue, Category, Product, ProductVariant
from shopstack.catalog.services import product_touch
from shopstack.core.backends import load_backend
from shopstack.core.events import event_record
from shopstack.search.backends.base import ProductDocument, SearchBackend
from shopstack.search.models import SearchDocument, SearchState

# A write's transaction may commit a moment after a later-stamped one; products stamped
# this close to the watermark are compared again, so none is missed.
SETTLE = timedelta(seconds=5)
SYNC_BATCH = 500
STATE_KEY = "products"
CATEGORY_STATE_KEY = "categories"
_CACHE_KEY = "search:indexed-until"
_CATEGORY_CACHE_KEY = "search:categories-until"
SYNC_QUEUED_KEY = "search:sync-queued"
TOUCH_BATCH = 5_000


def search_backend() -> SearchBackend:
    return load_backend("SEARCH")  # type: ignore[no-any-return]


# (pk, slug, name) of a category and each of its ancestors, leaf first.
CategoryChain = tuple[tuple[int, str, str], ...]


def category_paths() -> dict[int, CategoryChain]:
    """Each published category with its ancestors, when all of them are published."""
    rows = {
        pk: (parent_id, slug, name, published)
        for pk, parent_id, slug, name, published in Category.objects.values_list(
            "pk", "parent_id", "slug", "name", "is_published"
        )
    }
    paths: dict[int, CategoryChain] = {}
    for pk in rows:
        chain: list[tuple[int, str, str]] = []
        seen: set[int] = set()
        current: int | None = pk
        published = True
        while current is not None and current in rows and current not in seen:
            seen.add(current)
            parent_id, slug, name, is_published = rows[current]
            published = published and is_published
            chain.append((current, slug, name))
            current = parent_id
        if published:
            paths[pk] = tuple(chain)
    return paths


def _pairs(model: Any, left: str, right: str, **where: Any) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for a, b in model.objects.filter(**where).values_list(left, right):
        found.setdefault(a, []).append(b)
    return found


def documents_for(
    *, product_ids: Iterable[int], paths: dict[int, CategoryChain] | None = None
) -> list[ProductDocument]:
    """Documents for the published products among these ids, in seven queries and no model
    instances (a full reindex of a million products builds a million of these).
    `paths` (category_paths()) can be passed in when indexing many batches."""
    ids = list(product_ids)
    if not ids:
        return []
    rows = list(
        Product.objects.filter(pk__in=ids, is_published=True)
        .order_by("pk")
        .values_list(
            "pk", "name", "slug", "code", "description", "search_aliases", "price_amount", "currency",
            "in_stock", "units_sold", "published_at", "updated_at", "category_id",
        )
    )  # fmt: skip
    if not rows:
        return []
    found = [row[0] for row in rows]
    paths = category_paths() if paths is None else paths
    categories = _pairs(Product.categories.through, "product_id", "category_id", product_id__in=found)
    product_values = _pairs(
        Product.attribute_values.through, "product_id", "attributevalue_id", product_id__in=found
    )
    variants: dict[int, list[tuple[int, str, str]]] = {}
    for pk, product_id, sku, name in (
        ProductVariant.objects.filter(product_id__in=found)
        .order_by("position", "pk")
        .values_list("pk", "product_id", "sku", "name")
    ):
        variants.setdefault(product_id, []).append((pk, sku, name))
    variant_values = _pairs(
        ProductVariant.attribute_values.through,
        "productvariant_id",
        "attributevalue_id",
        productvariant__product_id__in=found,
    )
    value_ids = {v for values in product_values.values() for v in values}
    value_ids |= {v for values in variant_values.values() for v in values}
    # value id -> (attribute slug, position, value slug, name, filterable)
    values = {
        pk: (attribute_slug, position, slug, name, filterable)
        for pk, attribute_slug, position, slug, name, filterable in AttributeValue.objects.filter(
            pk__in=value_ids
        ).values_list("pk", "attribute__slug", "position", "slug", "name", "attribute__filterable")
    }
    documents = []
    for (
        pk, name, slug, code, description, search_aliases, price, currency,
        in_stock, units_sold, published_at, updated_at, category_id,
    ) in rows:  # fmt: skip
        category_ids = {category_id, *categories.get(pk, ())} - {None}
        chains = [paths[c] for c in sorted(category_ids) if c in paths]  # type: ignore[index]
        product_variants = variants.get(pk, [])
        value_set = set(product_values.get(pk, ()))
        for variant_pk, _sku, _name in product_variants:
            value_set.update(variant_values.get(variant_pk, ()))
        ordered = sorted((values[v] for v in value_set if v in values), key=lambda v: (v[0], v[1], v[2]))
        facets = [("category", c_slug, c_name) for chain in chains for _pk, c_slug, c_name in chain]
        facets += [(attr, v_slug, v_name) for attr, _pos, v_slug, v_name, filterable in ordered if filterable]
        aliases = [str(alias) for alias in (search_aliases or []) if str(alias).strip()]
        aliases += [code, *(sku for _pk, sku, _name in product_variants if sku != code)]
        aliases += [v_name for _pk, _sku, v_name in product_variants if v_name]
        documents.append(
            ProductDocument(
                id=pk,
                title=name,
                slug=slug,
                price=price,
                currency=currency,
                in_stock=in_stock,
                units_sold=units_sold,
                published_at=published_at,
                updated_at=updated_at,
                aliases=tuple(aliases),
                attributes=tuple(v[3] for v in ordered),
                categories=tuple(dict.fromkeys(c_name for chain in chains for _pk, _slug, c_name in chain)),
                description=description,
                facets=tuple(dict.fromkeys(facets)),
            )
        )
    return documents


def index_products(*, product_ids: Iterable[int]) -> int:
    """(Re)index these products: published ones are written, the others dropped."""
    ids = list(product_ids)
    backend = search_backend()
    written = 0
    for start in range(0, len(ids), SYNC_BATCH):
        chunk = ids[start : start + SYNC_BATCH]
        documents = documents_for(product_ids=chunk)
        written += backend.index(documents)
        gone = set(chunk) - {document.id for document in documents}
        if gone:
            backend.remove(gone)
    return written


def _indexed_until(key: str = STATE_KEY, cache_key: str = _CACHE_KEY) -> datetime | None:
    stamp = cache.get(cache_key)
    if stamp is None:
        stamp = SearchState.objects.filter(key=key).values_list("indexed_until", flat=True).first()
        if stamp is not None:
            cache.set(cache_key, stamp, 300)
    return stamp


def _set_indexed_until(stamp: datetime, key: str = STATE_KEY, cache_key: str = _CACHE_KEY) -> None:
    SearchState.objects.update_or_create(key=key, defaults={"indexed_until": stamp})
    cache.set(cache_key, stamp, 300)


def _subtree(category_ids: set[int]) -> set[int]:
    """These categories and every category below them."""
    children: dict[int, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(pk)
    found, todo = set(category_ids), list(category_ids)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def category_sync() -> int:
    """Move the stamps of products under categories renamed, moved or (un)published since the
    last look, so the product sync reindexes them (their documents hold category names and
    ancestors). Cheap when nothing changed: one MAX over an indexed column. Returns how many
    products were stamped."""
    newest = Category.objects.aggregate(newest=Max("updated_at"))["newest"]
    if newest is None:
        return 0
    return _category_sync(newest, _indexed_until(CATEGORY_STATE_KEY, _CATEGORY_CACHE_KEY))


def _category_sync(newest: datetime, until: datetime | None) -> int:
    """category_sync() for the categories' MAX(updated_at) and watermark, already read."""
    if until is not None and newest <= until:
        return 0
    touched = 0
    if until is not None:
        changed = set(Category.objects.filter(updated_at__gt=until).values_list("pk", flat=True))
        below = _subtree(changed)
        product_ids = sorted(
            {
                *Product.objects.filter(category_id__in=below).values_list("pk", flat=True),
                *Product.categories.through.objects.filter(category_id__in=below).values_list(
                    "product_id", flat=True
                ),
            }
        )
        for start in range(0, len(product_ids), TOUCH_BATCH):
            product_touch(product_ids=product_ids[start : start + TOUCH_BATCH])
        touched = len(product_ids)
    # The first look only takes note: documents were built from the categories as they are.
    _set_indexed_until(newest, CATEGORY_STATE_KEY, _CATEGORY_CACHE_KEY)
    return touched


def _freshness_sql() -> str:
    product, category = Product._meta.db_table, Category._meta.db_table
    state = SearchState._meta.db_table
    return (
        f"SELECT (SELECT MAX(updated_at) FROM {product}), (SELECT MAX(updated_at) FROM {category}),"
        f" (SELECT indexed_until FROM {state} WHERE key = %s),"
        f" (SELECT indexed_until FROM {state} WHERE key = %s)"
    )


def _freshness() -> tuple[datetime | None, datetime | None, datetime | None, datetime | None]:
    """(products' MAX(updated_at), categories' MAX(updated_at), the products' watermark, the
    categories' watermark) in one raw query: every search asks, and two ORM aggregates and
    two cache reads cost several times the query itself. Both MAXes read an index."""
    with connection.cursor() as cursor:
        cursor.execute(_freshness_sql(), [STATE_KEY, CATEGORY_STATE_KEY])
        row = cursor.fetchone()
    newest, newest_category, until, category_until = (_datetime(value) for value in row)
    return newest, newest_category, until, category_until


def _datetime(value: Any) -> datetime | None:
    """A datetime column read by raw SQL as the ORM would give it (SQLite gives text, or a
    naive datetime in the connection's zone)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, connection.timezone)
    return parsed


def _caught_up(newest: datetime | None, until: datetime | None) -> bool:
    """Nothing to look at: no products, or none stamped after the watermark, which is past the
    window in which a slower transaction may still commit an earlier stamp (SETTLE)."""
    return newest is None or (until is not None and newest <= until and timezone.now() - until > SETTLE)


def index_sync(*, limit: int | None = SYNC_BATCH) -> int:
    """Reindex products changed since the index last caught up; returns how many were
    looked at. Cheap when nothing changed: one query reading two MAXes over indexed columns
    and the watermarks. With a `limit` (inside a request), a larger backlog is left to the
    `search_sync` task instead, and requests skip the sync while that catch-up is queued (it
    picks up their changes too)."""
    newest, newest_category, until, category_until = _freshness()
    categories_behind = newest_category is not None and (
        category_until is None or newest_category > category_until
    )
    if not categories_behind and _caught_up(newest, until):
        return 0
    if limit is not None and cache.get(SYNC_QUEUED_KEY):
        return 0
    if newest_category is not None and categories_behind and _category_sync(newest_category, category_until):
        newest = Product.objects.aggregate(newest=Max("updated_at"))["newest"]  # stamps moved
    if _caught_up(newest, until):
        return 0
    since = (until or datetime(1970, 1, 1, tzinfo=UTC)) - SETTLE
    changed_rows = (
        Product.objects.filter(updated_at__gt=since)
        .order_by("updated_at", "pk")
        .values_list("pk", "updated_at", "is_published")
    )
    if limit is not None:
        changed = list(changed_rows[: limit + 1])
        if len(changed) > limit:
            _enqueue_sync()
            return 0
    else:
        changed = list(changed_rows)
    if not changed:
        return 0
    for start in range(0, len(changed), SYNC_BATCH):
        chunk = changed[start : start + SYNC_BATCH]
        stamps = dict(
            SearchDocument.objects.filter(pk__in=[pk for pk, _, _ in chunk]).values_list(
                "pk", "source_updated_at"
            )
        )
        stale = [
            pk
            for pk, updated_at, published in chunk
            if (published and stamps.get(pk) != updated_at) or (not published and pk in stamps)
        ]
        if stale:
            with transaction.atomic():
                index_products(product_ids=stale)
    _set_indexed_until(max(updated_at for _, updated_at, _ in changed))
    return len(changed)


BACKLOG_EVENT = "SearchIndexBehind"


def _enqueue_sync() -> None:
    """Ask a worker to catch up (handlers.on_search_index_behind), at most once a minute."""
    if cache.add(SYNC_QUEUED_KEY, 1, 60):
        event_record(name=BACKLOG_EVENT, aggregate_type="search", aggregate_id="products", payload={})


REBUILD_BATCH = 2_000


def index_rebuild(*, batch_size: int = REBUILD_BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Clear the index and index every published product, then recount the vocabulary.
    `progress` is called with the number of products done after each batch."""
    backend = search_backend()
    started = timezone.now()
    newest_category = Category.objects.aggregate(newest=Max("updated_at"))["newest"]
    if newest_category is not None:
        _set_indexed_until(newest_category, CATEGORY_STATE_KEY, _CATEGORY_CACHE_KEY)
    backend.clear()
    ids = list(Product.objects.filter(is_published=True).order_by("pk").values_list("pk", flat=True))
    counts: dict[str, int] = {}
    done = 0
    paths = category_paths()
    for start in range(0, len(ids), batch_size):
        documents = documents_for(product_ids=ids[start : start + batch_size], paths=paths)
        with transaction.atomic():
            backend.index(documents)
        for document in documents:
            for word in document.vocabulary():
                counts[word] = counts.get(word, 0) + 1
        done += len(documents)
        if progress:
            progress(len(ids[start : start + batch_size]))
    backend.rebuild_vocabulary(counts)
    # Changes made during the rebuild are picked up by the next sync.
    _set_indexed_until(started - SETTLE)
    return done
