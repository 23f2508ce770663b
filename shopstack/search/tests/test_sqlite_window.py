"""The SQLite engine's window for very broad queries (the embedded tier's speed at 1M products).

Engine-specific, so this module runs on the SQLite tier only; the PostgreSQL engine looks at
every match and is held to the same results by the contract suite."""

from __future__ import annotations

import pytest
from django.db import connection

from shopstack.search.backends import sqlite_fts
from shopstack.search.backends.base import SearchFilters
from shopstack.search.indexing import documents_for
from shopstack.search.query import parse_query
from shopstack.testing.factories import make_category, make_product

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "sqlite",
        reason="only the SQLite backend has the best-sellers ranking window; PostgreSQL ranks all matches",
    ),
]


@pytest.fixture
def bags(monkeypatch: pytest.MonkeyPatch) -> list:
    monkeypatch.setattr(sqlite_fts, "WINDOW", 4)
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
    sqlite_fts.SqliteFtsBackend().index(documents_for(product_ids=[p.pk for p in products]))
    return products


def test_a_broad_query_is_ranked_within_its_best_selling_matches(bags: list) -> None:
    backend = sqlite_fts.SqliteFtsBackend()
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


def test_a_filter_that_leaves_too_little_of_the_window_looks_at_every_match(bags: list) -> None:
    result = sqlite_fts.SqliteFtsBackend().search(
        parse_query("bag"), filters=SearchFilters(facets={"colour": ("red",)})
    )
    assert result.exhaustive
    assert [hit.id for hit in result.hits] == [bags[0].pk]  # the worst seller, outside the window
    assert result.total == 1
    assert {(c.value, c.count) for c in result.facets["colour"]} == {("red", 1), ("blue", 11)}


def test_a_narrow_query_is_exact(bags: list) -> None:
    result = sqlite_fts.SqliteFtsBackend().search(parse_query("bag number 1"), filters=SearchFilters())
    assert result.exhaustive


def test_rows_are_replaced_when_units_sold_move_the_key(bags: list) -> None:
    backend = sqlite_fts.SqliteFtsBackend()
    bag = bags[0]
    bag.units_sold = 5_000
    bag.save()
    backend.index(documents_for(product_ids=[bag.pk]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*), MAX(rowid) FROM search_fts")
        rows, top = cursor.fetchone()
    assert rows == 12
    assert top == sqlite_fts.text_key(bag.pk, 5_000)
    result = backend.search(parse_query("bag"), filters=SearchFilters())
    assert result.hits[0].id == bag.pk  # now the best seller, in the window and ranked first
    backend.remove([bag.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM search_fts")
        assert cursor.fetchone()[0] == 11


def test_suggestions_start_at_two_letters(bags: list) -> None:
    backend = sqlite_fts.SqliteFtsBackend()
    assert backend.suggest("j") == []
    assert [s.id for s in backend.suggest("ju", limit=3)] == [p.pk for p in bags[::-1][:3]]
    # A one-letter word still being typed waits for its second letter.
    assert [s.id for s in backend.suggest("jumbo n", limit=3)] == [p.pk for p in bags[::-1][:3]]
