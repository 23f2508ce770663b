"""The database engines' window for very broad queries: ranked, filtered and counted over the
best-selling matches (their speed at 1M products). Each tier runs its own engine: SQLite FTS5
or PostgreSQL full text; tantivy prunes by its own means (tantivy_engine)."""

from __future__ import annotations

from types import ModuleType

import pytest
from django.db import connection

from shopstack.search.backends import postgres, sqlite_fts
from shopstack.search.backends.base import SearchFilters
from shopstack.search.backends.sql import SqlIndexBackend
from shopstack.search.indexing import documents_for
from shopstack.search.query import parse_query
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def _engine() -> tuple[ModuleType, SqlIndexBackend]:
    """The module and backend of this tier's database engine."""
    if connection.vendor == "postgresql":
        return postgres, postgres.PostgresBackend()
    return sqlite_fts, sqlite_fts.SqliteFtsBackend()


@pytest.fixture
def backend() -> SqlIndexBackend:
    return _engine()[1]


@pytest.fixture
def bags(monkeypatch: pytest.MonkeyPatch) -> list:
    module, backend = _engine()
    monkeypatch.setattr(module, "WINDOW", 4)
    category = make_category(name="Bags")
    products = [
        make_product(
            name=f"Jumbo Bag Number {n}",
            units_sold=n * 10,
            category=category,
            attributes={"Colour": "Red" if n == 1 else "Blue"},
        )
        for n in range(1, 13)
    ]
    backend.index(documents_for(product_ids=[p.pk for p in products]))
    return products


def test_a_broad_query_is_ranked_within_its_best_selling_matches(
    bags: list, backend: SqlIndexBackend
) -> None:
    result = backend.search(parse_query("bag"), filters=SearchFilters(), per_page=4)
    assert not result.exhaustive
    assert {hit.id for hit in result.hits} == {p.pk for p in bags[-4:]}  # the four best sellers
    assert result.total == 12  # 4 in the window, scaled to the 12 matches
    assert {(c.value, c.count) for c in result.facets["colour"]} == {("blue", 12)}
    # A page beyond the window looks wider (here: at every match).
    second = backend.search(parse_query("bag"), filters=SearchFilters(), per_page=4, page=2)
    assert second.exhaustive
    assert len(second.hits) == 4
    assert not {hit.id for hit in second.hits} & {p.pk for p in bags[-4:]}


def test_a_filter_that_leaves_too_little_of_the_window_looks_at_every_match(
    bags: list, backend: SqlIndexBackend
) -> None:
    result = backend.search(parse_query("bag"), filters=SearchFilters(facets={"colour": ("red",)}))
    assert result.exhaustive
    assert [hit.id for hit in result.hits] == [bags[0].pk]  # the worst seller, outside the window
    assert result.total == 1
    assert {(c.value, c.count) for c in result.facets["colour"]} == {("red", 1), ("blue", 11)}


def test_a_narrow_query_is_exact(bags: list, backend: SqlIndexBackend) -> None:
    result = backend.search(parse_query("bag number 1"), filters=SearchFilters())
    assert result.exhaustive


def test_a_best_seller_moves_into_the_window_when_its_sales_change(
    bags: list, backend: SqlIndexBackend
) -> None:
    def first_page() -> list[int]:
        return [
            hit.id for hit in backend.search(parse_query("bag"), filters=SearchFilters(), per_page=4).hits
        ]

    bag = bags[0]
    assert bag.pk not in first_page()
    bag.units_sold = 5_000
    bag.save()
    backend.index(documents_for(product_ids=[bag.pk]))
    assert first_page()[0] == bag.pk  # now the best seller, in the window and ranked first
    backend.remove([bag.pk])
    assert first_page() == [p.pk for p in bags[-4:]][::-1]
    assert backend.search(parse_query("bag number 1"), filters=SearchFilters()).total == 0


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite's row keys (text_key) only; PostgreSQL keeps units sold in a column, covered by"
    " the tests above on its tier",
)
def test_sqlite_rows_are_keyed_by_units_sold(bags: list, backend: SqlIndexBackend) -> None:
    bag = bags[0]
    bag.units_sold = 5_000
    bag.save()
    backend.index(documents_for(product_ids=[bag.pk]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), MAX(rowid) FROM search_fts")
        assert cursor.fetchone() == (12, sqlite_fts.text_key(bag.pk, 5_000))
    backend.remove([bag.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM search_fts")
        assert cursor.fetchone()[0] == 11


def test_suggestions_start_at_two_letters(bags: list, backend: SqlIndexBackend) -> None:
    assert backend.suggest("j") == []
    assert [s.id for s in backend.suggest("ju", limit=3)] == [p.pk for p in bags[::-1][:3]]
    # A one-letter word still being typed waits for its second letter.
    assert [s.id for s in backend.suggest("jumbo n", limit=3)] == [p.pk for p in bags[::-1][:3]]


def test_a_window_wider_than_the_matches_is_exact_whatever_the_estimate(
    bags: list, backend: SqlIndexBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, _ = _engine()
    # Nothing counted: PostgreSQL goes by the planner's estimate, which may say more than 20.
    monkeypatch.setattr(module, "COUNT_CAP", 0)
    monkeypatch.setattr(module, "WINDOW", 20)
    result = backend.search(parse_query("bag"), filters=SearchFilters(), per_page=4)
    assert result.exhaustive
    assert result.total == 12
    assert [hit.id for hit in result.hits] == [p.pk for p in bags[-4:]][::-1]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="only PostgreSQL chooses between two reads of a prefix's best sellers; runs on the"
    " PostgreSQL tier in CI",
)
@pytest.mark.parametrize("estimate", [0, 10**9], ids=["rare prefix", "common prefix"])
def test_postgres_suggestions_are_the_same_walked_or_read_from_the_words_index(
    bags: list, backend: SqlIndexBackend, monkeypatch: pytest.MonkeyPatch, estimate: int
) -> None:
    monkeypatch.setattr(postgres, "_estimate", lambda *args: estimate)
    monkeypatch.setattr(postgres, "SUGGEST_WINDOW", 5)
    # Ranked within the five best sellers; ties in rank go to the better seller.
    assert [s.id for s in backend.suggest("jum", limit=3)] == [p.pk for p in bags[::-1][:3]]
    assert backend.suggest("zz") == []
