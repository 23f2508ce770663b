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

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from shopstack.catalog.models import AttributeValue, Category, Product, ProductVariant
from shopstack.core.backends import load_backend
from shopstack.core.events import event_record
from shopstack.search.backends.base import ProductDocument, SearchBackend
from shopstack.search.models import SearchDocument, SearchState

# A write's transaction may commit a moment after a later-stamped one; products stamped
# this close to the watermark are compared again, so none is missed.
SETTLE = timedelta(seconds=5)
SYNC_BATCH = 500
STATE_KEY = "products"
_CACHE_KEY = "search:indexed-until"


def search_backend() -> SearchBackend:
    return load_backend("SEARCH")  # type: ignore[no-any-return]


def _category_paths() -> dict[int, list[Category]]:
    """Each published category with its published ancestors (the tree is small)."""
    categories = {c.pk: c for c in Category.objects.only("pk", "parent_id", "name", "slug", "is_published")}
    paths: dict[int, list[Category]] = {}
    for pk, category in categories.items():
        chain, seen, current = [], set(), category
        while current is not None and current.pk not in seen:
            seen.add(current.pk)
            chain.append(current)
            current = categories.get(current.parent_id) if current.parent_id else None
        if all(c.is_published for c in chain):
            paths[pk] = chain
    return paths


def documents_for(*, product_ids: Iterable[int]) -> list[ProductDocument]:
    """Documents for the published products among these ids, in a few queries."""
    values = AttributeValue.objects.select_related("attribute")
    products = (
        Product.objects.filter(pk__in=list(product_ids), is_published=True)
        .prefetch_related(
            Prefetch("categories", queryset=Category.objects.only("pk")),
            Prefetch("attribute_values", queryset=values),
            Prefetch(
                "variants",
                queryset=ProductVariant.objects.only("pk", "product_id", "sku", "name").prefetch_related(
                    Prefetch("attribute_values", queryset=values)
                ),
            ),
        )
        .order_by("pk")
    )
    paths = _category_paths()
    documents = []
    for product in products:
        category_ids = {product.category_id, *(c.pk for c in product.categories.all())}
        chains = [paths[pk] for pk in sorted(category_ids) if pk in paths]
        variants = list(product.variants.all())
        attribute_values = {*product.attribute_values.all()}
        for variant in variants:
            attribute_values.update(variant.attribute_values.all())
        ordered_values = sorted(attribute_values, key=lambda v: (v.attribute.slug, v.position, v.slug))
        facets = [("category", c.slug, c.name) for chain in chains for c in chain]
        facets += [(v.attribute.slug, v.slug, v.name) for v in ordered_values if v.attribute.filterable]
        aliases = [str(alias) for alias in (product.search_aliases or []) if str(alias).strip()]
        aliases += [product.code, *(v.sku for v in variants if v.sku != product.code)]
        aliases += [v.name for v in variants if v.name]
        documents.append(
            ProductDocument(
                id=product.pk,
                title=product.name,
                slug=product.slug,
                price=product.price_amount,
                currency=product.currency,
                in_stock=product.in_stock,
                units_sold=product.units_sold,
                published_at=product.published_at,
                updated_at=product.updated_at,
                aliases=tuple(aliases),
                attributes=tuple(v.name for v in ordered_values),
                categories=tuple(dict.fromkeys(c.name for chain in chains for c in chain)),
                description=product.description,
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


def _indexed_until() -> datetime | None:
    stamp = cache.get(_CACHE_KEY)
    if stamp is None:
        stamp = SearchState.objects.filter(key=STATE_KEY).values_list("indexed_until", flat=True).first()
        if stamp is not None:
            cache.set(_CACHE_KEY, stamp, 300)
    return stamp


def _set_indexed_until(stamp: datetime) -> None:
    SearchState.objects.update_or_create(key=STATE_KEY, defaults={"indexed_until": stamp})
    cache.set(_CACHE_KEY, stamp, 300)


def index_sync(*, limit: int | None = SYNC_BATCH) -> int:
    """Reindex products changed since the index last caught up; returns how many were
    looked at. Cheap when nothing changed: one MAX over an indexed column. With a `limit`
    (inside a request), a larger backlog is left to the `search_sync` task instead."""
    newest = Product.objects.aggregate(newest=Max("updated_at"))["newest"]
    if newest is None:
        return 0
    until = _indexed_until()
    if until is not None and newest <= until and timezone.now() - until > SETTLE:
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
    if cache.add("search:sync-queued", 1, 60):
        event_record(name=BACKLOG_EVENT, aggregate_type="search", aggregate_id="products", payload={})


def index_rebuild(*, batch_size: int = SYNC_BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Clear the index and index every published product, then recount the vocabulary.
    `progress` is called with the number of products done after each batch."""
    backend = search_backend()
    started = timezone.now()
    backend.clear()
    ids = list(Product.objects.filter(is_published=True).order_by("pk").values_list("pk", flat=True))
    counts: dict[str, int] = {}
    done = 0
    for start in range(0, len(ids), batch_size):
        documents = documents_for(product_ids=ids[start : start + batch_size])
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
