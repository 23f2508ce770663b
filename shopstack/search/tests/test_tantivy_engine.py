"""The tantivy engine beyond the contract: one writer at a time across processes, readers
that see another process's commit, the index and the database staying in step when either
side fails, and the shop's search services running on it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import transaction

from shopstack.core.backends import load_backend
from shopstack.search.backends.base import ProductDocument, SearchFilters
from shopstack.search.backends.tantivy_engine import TantivyBackend, counting
from shopstack.search.backends.tantivy_engine import store as store_module
from shopstack.search.backends.tantivy_engine.schema import to_tantivy
from shopstack.search.backends.tantivy_engine.store import IndexLockTimeout, IndexStore
from shopstack.search.indexing import index_products, index_sync
from shopstack.search.models import SearchDocument
from shopstack.search.query import parse_query
from shopstack.search.services import search_products, search_suggest
from shopstack.testing.factories import make_category, make_product

ROOT = Path(__file__).resolve().parents[3]
NONE = SearchFilters()
# Waits for another process (Django's start-up included) or a reader's reload on a busy machine.
PROCESS_TIMEOUT = 300.0


def document(pk: int, title: str = "Blue Enamel Jug") -> ProductDocument:
    return ProductDocument(
        id=pk,
        title=title,
        slug=f"product-{pk}",
        price=Decimal("9.99"),
        currency="GBP",
        in_stock=True,
        units_sold=1,
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _write_in_another_process(directory: Path, pk: int) -> subprocess.Popen[str]:
    """A second process writing one document through IndexStore (as a second web process or
    the task worker would); it prints when (time.monotonic(), the same clock in every process
    of the machine) it got the writer."""
    code = textwrap.dedent(
        f"""
        import os, time
        from pathlib import Path
        import django
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        django.setup()
        from shopstack.search.backends.tantivy_engine.schema import to_tantivy
        from shopstack.search.backends.tantivy_engine.store import IndexStore
        from shopstack.search.tests.test_tantivy_engine import document
        store = IndexStore(Path({str(directory)!r}))
        print("writing", flush=True)
        with store.writing() as writer:
            got_the_writer = time.monotonic()
            writer.add_document(to_tantivy(document({pk})))
        print(repr(got_the_writer))
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_a_write_waits_for_another_process_writer_then_readers_see_it(tmp_path: Path) -> None:
    reader = IndexStore(tmp_path)
    assert reader.searcher().num_docs == 0
    held = reader.index.writer(heap_size=15_000_000, num_threads=1)  # this process writes ...
    other = _write_in_another_process(tmp_path, 7)
    assert other.stdout is not None
    assert other.stdout.readline().strip() == "writing"
    time.sleep(0.8)
    assert other.poll() is None  # ... so the other one waits for the lock, not fails
    held.add_document(to_tantivy(document(6)))
    held.commit()
    releasing = time.monotonic()
    del held  # releases the lock
    out, err = other.communicate(timeout=PROCESS_TIMEOUT)
    assert other.returncode == 0, err
    assert float(out) >= releasing  # it got the writer only once this process let go
    # This process never reloaded by hand: the commit of the other is seen all the same (tantivy
    # polls meta.json every 500 ms; the wait leaves room for a loaded machine).
    assert _wait_for(lambda: reader.searcher().num_docs == 2, PROCESS_TIMEOUT)


def test_a_write_gives_up_when_the_lock_is_never_released(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "LOCK_WAIT_SECONDS", 0.3)
    holder, waiter = IndexStore(tmp_path), IndexStore(tmp_path)
    held = holder.index.writer(heap_size=15_000_000, num_threads=1)
    with pytest.raises(IndexLockTimeout), waiter.writing():
        pass
    del held
    with waiter.writing() as writer:  # free again
        writer.add_document(to_tantivy(document(1)))
    assert waiter.searcher().num_docs == 1


def test_concurrent_writes_in_one_process_take_turns(tmp_path: Path) -> None:
    store = IndexStore(tmp_path)
    errors: list[BaseException] = []

    def write(pk: int) -> None:
        try:
            with store.writing() as writer:
                writer.add_document(to_tantivy(document(pk)))
        except BaseException as error:  # pragma: no cover - reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(pk,)) for pk in range(1, 6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert store.searcher().num_docs == 5


@pytest.fixture
def tantivy_shop(settings: object, tmp_path: Path, db: None):  # type: ignore[no-untyped-def]
    """The shop configured with the tantivy engine, in a directory of this test's own."""
    settings.SEARCH = {  # type: ignore[attr-defined]
        "BACKEND": "shopstack.search.backends.tantivy_engine.TantivyBackend",
        "OPTIONS": {"path": str(tmp_path / "index")},
    }
    load_backend.cache_clear()
    candles = make_category(name="Candles")
    garden = make_category(name="Garden")
    for word in ("Trowel", "Rake", "Hose", "Gnome", "Bench", "Fork"):
        make_product(name=f"Garden {word}", price="30.00", category=garden)
    yield {
        "candle": make_product(name="Vanilla Scented Candle", price="4.50", category=candles, units_sold=9),
        "holder": make_product(name="Red Heart Candle Holder", price="8.00", category=candles),
        "backend": load_backend("SEARCH"),
    }
    load_backend.cache_clear()


def _index_ids(backend: TantivyBackend, text: str) -> list[int]:
    return [hit.id for hit in backend.search(parse_query(text), filters=NONE).hits]


def test_index_ahead_of_a_rolled_back_transaction_is_caught_up_by_the_sync(tantivy_shop: dict) -> None:
    backend, candle = tantivy_shop["backend"], tantivy_shop["candle"]
    assert isinstance(backend, TantivyBackend)

    def dies_after_indexing() -> None:
        with transaction.atomic():
            index_products(product_ids=[candle.pk])
            raise RuntimeError("the process dies after the index committed, before the database did")

    with pytest.raises(RuntimeError):
        dies_after_indexing()
    # The index committed first; the database did not: its stamp says "not indexed".
    assert _index_ids(backend, "vanilla") == [candle.pk]
    assert not SearchDocument.objects.filter(pk=candle.pk).exists()
    index_sync(limit=None)
    assert SearchDocument.objects.filter(pk=candle.pk).exists()
    assert _index_ids(backend, "vanilla") == [candle.pk]  # replaced, not doubled
    assert backend.search(parse_query(""), filters=NONE).total == 8


def test_a_failed_index_write_leaves_neither_side_changed(tantivy_shop: dict) -> None:
    backend, candle = tantivy_shop["backend"], tantivy_shop["candle"]
    index_sync(limit=None)
    renamed = ProductDocument(**document(candle.pk, "Lavender Candle").__dict__)
    too_big = document(2**40)  # no product id is this large: its sort key cannot be built
    with pytest.raises(ValueError):
        backend.index([renamed, too_big])
    assert _index_ids(backend, "vanilla") == [candle.pk]
    assert _index_ids(backend, "lavender") == []
    assert SearchDocument.objects.get(pk=candle.pk).title == "Vanilla Scented Candle"


def test_shop_search_runs_on_tantivy(tantivy_shop: dict) -> None:
    candle, holder = tantivy_shop["candle"], tantivy_shop["holder"]
    outcome = search_products(text="candles", log=False)
    assert [hit.id for hit in outcome.result.hits] == [candle.pk, holder.pk]  # the best seller first
    assert {(c.value, c.count) for c in outcome.result.facets["category"]} == {("candles", 2)}
    typo = search_products(text="vanila", log=False)  # corrected from the database's vocabulary
    assert [hit.id for hit in typo.result.hits] == [candle.pk]
    cheap = search_products(text="candle under 5", log=False)
    assert [hit.id for hit in cheap.result.hits] == [candle.pk]
    assert [s["id"] for s in search_suggest(text="vani").products] == [candle.pk]
    # A catalog change is searchable on the next search (index_sync runs first).
    holder.name = "Red Heart Lantern"
    holder.save()
    assert [hit.id for hit in search_products(text="lantern", log=False).result.hits] == [holder.pk]


def test_very_broad_matches_count_facets_over_a_best_selling_sample(
    tantivy_shop: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = tantivy_shop["backend"]
    index_sync(limit=None)
    exact = backend.search(parse_query(""), filters=NONE)
    assert exact.exhaustive
    assert {(c.value, c.count) for c in exact.facets["category"]} == {("garden", 6), ("candles", 2)}
    # Above 4 matches, count over the 2 best sellers (the candle, 9 sold; then the lowest id
    # among the unsold: the first garden product) and scale by 8 / 2.
    monkeypatch.setattr(counting, "SAMPLE_ABOVE", 4)
    monkeypatch.setattr(counting, "SAMPLE", 2)
    sampled = backend.search(parse_query(""), filters=NONE)
    assert not sampled.exhaustive
    assert sampled.total == 8  # the total stays exact
    assert {(c.value, c.count) for c in sampled.facets["category"]} == {("garden", 4), ("candles", 4)}
    assert [hit.id for hit in sampled.hits] == [hit.id for hit in exact.hits]  # ranking is untouched


def test_facet_values_are_counted_by_number_and_named_when_first_seen(
    tantivy_shop: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = tantivy_shop["backend"]
    index_sync(limit=None)
    monkeypatch.setattr(counting, "_KEYS", {})  # a process that has counted nothing yet
    first = backend.search(parse_query(""), filters=NONE)
    assert {(c.value, c.label, c.count) for c in first.facets["category"]} == {
        ("garden", "Garden", 6),
        ("candles", "Candles", 2),
    }
    known = dict(counting._KEYS)
    assert len(known) >= 2
    # A category made after this process named the others is named on its first count.
    make_product(name="Copper Watering Can", price="12.00", category=make_category(name="Watering"))
    index_sync(limit=None)
    second = backend.search(parse_query(""), filters=NONE)
    assert ("watering", "Watering", 1) in {(c.value, c.label, c.count) for c in second.facets["category"]}
    assert set(known) < set(counting._KEYS)
