"""The spec of a search backend: every backend that runs on this database passes it."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from shopstack.search.backends.base import Placement, SearchBackend, SearchFilters
from shopstack.search.backends.tantivy_engine import TantivyBackend
from shopstack.search.indexing import documents_for
from shopstack.search.query import ParsedQuery, Term, parse_query
from shopstack.search.tests.conftest import available_backends
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


# Each tier runs the backends of its database (CI runs both tiers), and tantivy (which
# runs beside either): none is skipped.
@pytest.fixture(params=[*available_backends(), TantivyBackend], ids=lambda cls: cls.__name__)
def backend(request: pytest.FixtureRequest, db: None, tmp_path: Path) -> SearchBackend:
    if request.param is TantivyBackend:
        # Its own empty index per test: the database rolls back after a test, a directory does not.
        return TantivyBackend(path=tmp_path / "tantivy")
    return request.param()


@pytest.fixture
def shop(backend: SearchBackend) -> dict:
    home = make_category(name="Home")
    candles = make_category(name="Candles", parent=home)
    kitchen = make_category(name="Kitchen")
    garden = make_category(name="Garden")
    # Unrelated products, so that words of the test products are rare, as in a real shop
    # (bm25 gives no weight to a word in half the documents or more).
    fillers = [
        make_product(name=f"Garden {word}", price="60.00", category=garden)
        for word in ("Trowel", "Rake", "Hose", "Gnome", "Bench", "Fork")
    ]
    products = {
        "holder": make_product(
            name="White Hanging Heart T-Light Holder",
            price="2.95",
            category=candles,
            attributes={"Colour": "White", "Material": "Metal"},
            units_sold=500,
        ),
        "candle": make_product(
            name="Vanilla Scented Candle", price="4.50", category=candles, attributes={"Colour": "Cream"}
        ),
        "red": make_product(
            name="Red Heart Candle Holder",
            price="12.00",
            category=candles,
            attributes={"Colour": "Red"},
            stock=0,
            units_sold=3,
        ),
        "mug": make_product(
            name="Crème Brûlée Mug",
            price="6.00",
            category=kitchen,
            description="A heart on the side",
            search_aliases=["cup"],
        ),
        "bag": make_product(name="Jumbo Bag Red Retrospot", price="1.95", category=kitchen, units_sold=900),
    }
    backend.index(documents_for(product_ids=[p.pk for p in [*products.values(), *fillers]]))
    return {**products, "candles": candles, "home": home, "kitchen": kitchen}


def ids(result: object) -> list[int]:
    return [hit.id for hit in result.hits]  # type: ignore[attr-defined]


def q(text: str, **kwargs: object) -> ParsedQuery:
    return parse_query(text, **kwargs)  # type: ignore[arg-type]


NONE = SearchFilters()


def test_finds_words_in_title_with_stemming_and_plurals(backend: SearchBackend, shop: dict) -> None:
    found = ids(backend.search(q("candles"), filters=NONE))
    assert set(found) == {shop["candle"].pk, shop["red"].pk, shop["holder"].pk}
    assert found[-1] == shop["holder"].pk  # only its category says candles
    assert ids(backend.search(q("jumbo bag"), filters=NONE)) == [shop["bag"].pk]


def test_title_outranks_description(backend: SearchBackend, shop: dict) -> None:
    found = ids(backend.search(q("heart"), filters=NONE))
    assert set(found) == {shop["holder"].pk, shop["red"].pk, shop["mug"].pk}
    assert found[-1] == shop["mug"].pk  # only its description says heart


def test_accents_fold(backend: SearchBackend, shop: dict) -> None:
    assert ids(backend.search(q("creme brulee"), filters=NONE)) == [shop["mug"].pk]
    assert ids(backend.search(q("Crème"), filters=NONE)) == [shop["mug"].pk]


def test_aliases_attributes_categories_and_codes_are_searchable(backend: SearchBackend, shop: dict) -> None:
    assert ids(backend.search(q("cup"), filters=NONE)) == [shop["mug"].pk]
    assert shop["holder"].pk in ids(backend.search(q("metal"), filters=NONE))
    assert shop["candle"].pk in ids(backend.search(q("home"), filters=NONE))  # an ancestor category
    assert ids(backend.search(q(shop["bag"].code), filters=NONE)) == [shop["bag"].pk]


def test_prefix_term_matches_word_being_typed(backend: SearchBackend, shop: dict) -> None:
    assert ids(backend.search(q("jum", prefix=True), filters=NONE)) == [shop["bag"].pk]
    assert ids(backend.search(q("jum"), filters=NONE)) == []


def test_alternatives_and_match_any(backend: SearchBackend, shop: dict) -> None:
    either = ParsedQuery(raw="", terms=(Term("beaker", alternatives=("jumbo bag",)),))
    assert ids(backend.search(either, filters=NONE)) == [shop["bag"].pk]
    all_words = q("vanilla jumbo")
    assert ids(backend.search(all_words, filters=NONE)) == []
    any_word = ParsedQuery(raw="", terms=all_words.terms, match_any=True)
    assert set(ids(backend.search(any_word, filters=NONE))) == {shop["bag"].pk, shop["candle"].pk}


def test_filters_and_facet_counts(backend: SearchBackend, shop: dict) -> None:
    result = backend.search(q("heart"), filters=SearchFilters(facets={"colour": ("red", "white")}))
    assert set(ids(result)) == {shop["holder"].pk, shop["red"].pk}
    assert result.total == 2
    assert {(c.value, c.count) for c in result.facets["colour"]} == {("red", 1), ("white", 1)}
    assert {(c.value, c.label, c.count) for c in result.facets["category"]} == {
        ("candles", "Candles", 2),
        ("home", "Home", 2),
    }
    assert result.facets["in_stock"][0].count == 1
    assert {(c.value, c.count) for c in result.facets["price"]} == {("0-5", 1), ("10-20", 1)}

    cheap = backend.search(q("heart"), filters=SearchFilters(max_price=Decimal("5")))
    assert set(ids(cheap)) == {shop["holder"].pk}
    dear = backend.search(q(""), filters=SearchFilters(min_price=Decimal("5"), max_price=Decimal("50")))
    assert set(ids(dear)) == {shop["mug"].pk, shop["red"].pk}
    in_stock = backend.search(q(""), filters=SearchFilters(min_price=Decimal("5"), in_stock=True))
    assert shop["red"].pk not in ids(in_stock)
    by_category = backend.search(q(""), filters=SearchFilters(facets={"category": ("home",)}))
    assert by_category.total == 3


def test_each_facet_is_counted_without_its_own_filter(backend: SearchBackend, shop: dict) -> None:
    red = backend.search(q("heart"), filters=SearchFilters(facets={"colour": ("red",)}))
    assert ids(red) == [shop["red"].pk]
    # The colour facet still offers white (the holder), so the shopper can switch or add it ...
    assert {(c.value, c.count) for c in red.facets["colour"]} == {("red", 1), ("white", 1)}
    # ... while the other facets count only what the red filter leaves.
    assert {(c.value, c.count) for c in red.facets["category"]} == {("candles", 1), ("home", 1)}
    assert {(c.value, c.count) for c in red.facets["price"]} == {("10-20", 1)}

    both = backend.search(
        q("heart"), filters=SearchFilters(facets={"colour": ("red",), "category": ("kitchen",)})
    )
    assert both.total == 0
    # Nothing is both red and in the kitchen, yet each facet shows where to go instead.
    assert "colour" not in both.facets  # the one kitchen heart (the mug) has no colour
    assert {(c.value, c.count) for c in both.facets["category"]} == {("candles", 1), ("home", 1)}

    cheap = backend.search(q("heart"), filters=SearchFilters(max_price=Decimal("5")))
    assert ids(cheap) == [shop["holder"].pk]
    assert {(c.value, c.count) for c in cheap.facets["price"]} == {("0-5", 1), ("5-10", 1), ("10-20", 1)}
    # A range that leaves nothing still offers the prices the words find.
    none = backend.search(q("heart"), filters=SearchFilters(min_price=Decimal("500")))
    assert (ids(none), none.total) == ([], 0)
    assert {(c.value, c.count) for c in none.facets["price"]} == {("0-5", 1), ("5-10", 1), ("10-20", 1)}
    assert {(c.value, c.count) for c in cheap.facets["colour"]} == {("white", 1)}

    sold_out = backend.search(q("heart"), filters=SearchFilters(in_stock=False))
    assert ids(sold_out) == [shop["red"].pk]
    assert sold_out.facets["in_stock"][0].count == 2  # the holder and the mug, without the filter
    assert {(c.value, c.count) for c in sold_out.facets["colour"]} == {("red", 1)}


def test_empty_query_matches_all_and_sorts(backend: SearchBackend, shop: dict) -> None:
    everything = [shop[key].pk for key in ("bag", "holder", "candle", "mug", "red")]
    assert ids(backend.search(q(""), filters=NONE, sort="price"))[:5] == everything
    assert ids(backend.search(q(""), filters=NONE, sort="-price"))[-5:] == everything[::-1]
    best = ids(backend.search(q(""), filters=NONE, sort="best_selling"))
    assert best[:2] == [shop["bag"].pk, shop["holder"].pk]
    newest = ids(backend.search(q(""), filters=NONE, sort="newest"))
    assert newest[0] == shop["bag"].pk


def test_pagination(backend: SearchBackend, shop: dict) -> None:
    first = backend.search(q(""), filters=NONE, sort="price", per_page=2)
    second = backend.search(q(""), filters=NONE, sort="price", page=2, per_page=2)
    last = backend.search(q(""), filters=NONE, sort="price", page=99, per_page=2)
    assert first.total == second.total == 11
    assert len(first.hits) == len(second.hits) == 2
    assert not set(ids(first)) & set(ids(second))
    assert last.hits == []
    assert last.total == 11


def test_pins_and_boosts(backend: SearchBackend, shop: dict) -> None:
    pinned = Placement(pinned=(shop["bag"].pk,))
    result = backend.search(q("heart"), filters=NONE, placement=pinned)
    assert ids(result)[0] == shop["bag"].pk  # pinned even though its words do not match
    assert result.total == 4
    filtered = backend.search(q("heart"), filters=SearchFilters(min_price=Decimal("2")), placement=pinned)
    assert shop["bag"].pk not in ids(filtered)  # filters still apply to pinned products
    boosted = backend.search(q("heart"), filters=NONE, placement=Placement(boosted=(shop["mug"].pk,)))
    assert ids(boosted)[0] == shop["mug"].pk


def test_highlights_mark_matched_words(backend: SearchBackend, shop: dict) -> None:
    result = backend.search(q("jumbo bags"), filters=NONE)
    assert result.hits[0].highlights["title"] == "<mark>Jumbo</mark> <mark>Bag</mark> Red Retrospot"


def test_reindexing_replaces_and_remove_drops(backend: SearchBackend, shop: dict) -> None:
    bag = shop["bag"]
    bag.name = "Giant Tote"
    bag.save()
    backend.index(documents_for(product_ids=[bag.pk]))
    assert ids(backend.search(q("jumbo"), filters=NONE)) == []
    assert ids(backend.search(q("tote"), filters=NONE)) == [bag.pk]
    backend.remove([bag.pk, 999_999])
    assert ids(backend.search(q("tote"), filters=NONE)) == []
    backend.clear()
    assert backend.search(q(""), filters=NONE).total == 0


def test_suggest_by_title_prefix(backend: SearchBackend, shop: dict) -> None:
    suggestions = backend.suggest("heart hol")
    assert [s.id for s in suggestions] == [shop["holder"].pk, shop["red"].pk]  # best seller first
    assert "<mark>Heart</mark>" in suggestions[0].highlighted
    assert backend.suggest("") == []
    assert backend.suggest('"*') == []
    # A one-letter word still being typed waits for its second letter, on every engine.
    assert backend.suggest("h") == []
    assert [s.id for s in backend.suggest("heart h")] == [s.id for s in backend.suggest("heart")]


def test_suggest_follows_units_sold(backend: SearchBackend, shop: dict) -> None:
    """Reindexed sales move suggestions (PostgreSQL keeps the units sold beside its vectors)."""
    before = [s.id for s in backend.suggest("heart hol")]
    low = shop["holder"] if before[0] == shop["holder"].pk else shop["red"]
    document = next(iter(documents_for(product_ids=[low.pk])))
    backend.index([replace(document, units_sold=1_000_000)])
    assert backend.suggest("heart hol")[0].id == low.pk


def test_vocabulary_for_typos(backend: SearchBackend, shop: dict) -> None:
    assert "candle" in [term for term, _ in backend.similar_terms("candel")]
    assert backend.known_terms(["candle", "candel"]) == {"candle"}


@pytest.mark.parametrize(
    "text", ['"', "*", "NEAR(a b)", "-", "a -b", "(", ")", "AND", "OR NOT", "'", ":", "^", "{a}", "\\", "+x"]
)
def test_query_syntax_never_reaches_the_engine(backend: SearchBackend, shop: dict, text: str) -> None:
    backend.search(q(text), filters=NONE)
    backend.search(q(text, prefix=True), filters=NONE)
    backend.suggest(text)
