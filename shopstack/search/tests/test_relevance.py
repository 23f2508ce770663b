"""Relevance rules of the search service, on the engine of each tier: partial matches after
full ones, attribute words as text, compounds, the typo-correction guard, facet spellings
and one-character Chinese suggestions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopstack.search.backends.base import SearchFilters
from shopstack.search.models import SearchDocument, Synonym
from shopstack.search.services import search_products, search_suggest
from shopstack.search.tiers import PARTIAL_MATCHES_BELOW
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


def titles(text: str, **kwargs: object) -> list[str]:
    outcome = search_products(text=text, log=False, **kwargs)  # type: ignore[arg-type]
    return [SearchDocument.objects.get(pk=hit.id).title for hit in outcome.result.hits]


@pytest.fixture
def lanterns() -> dict:
    lights = make_category(name="Lighting")
    garden = make_category(name="Garden")
    return {
        "full": make_product(
            name="White Metal Lantern", price="12.00", category=lights, attributes={"Colour": "White"}
        ),
        # Best sellers, so popularity alone would rank them first: they match only some words.
        "black": make_product(
            name="Black Metal Lantern",
            price="9.00",
            category=lights,
            attributes={"Colour": "Black"},
            units_sold=5000,
        ),
        "wood": make_product(name="Wooden Lantern", price="4.00", category=lights, units_sold=4000),
        "bench": make_product(name="Metal Garden Bench", price="80.00", category=garden, units_sold=3000),
        "mug": make_product(name="Enamel Mug", price="3.00", category=garden),
    }


def test_partial_matches_follow_the_full_ones(lanterns: dict) -> None:
    outcome = search_products(text="white metal lantern", log=False)
    found = [SearchDocument.objects.get(pk=hit.id).title for hit in outcome.result.hits]
    assert found[0] == "White Metal Lantern"
    # Then products matching two of the words before the one matching only "metal".
    assert found[1:3] == ["Black Metal Lantern", "Wooden Lantern"] or set(found[1:3]) == {
        "Black Metal Lantern",
        "Wooden Lantern",
    }
    assert found[3:] == ["Metal Garden Bench"]
    assert outcome.strict_total == 1
    assert not outcome.relaxed
    assert outcome.notice is None
    # The total and the facets count the whole list, not only the full matches.
    assert outcome.result.total == 4
    categories = {count.label: count.count for count in outcome.result.facets["category"]}
    assert categories == {"Lighting": 3, "Garden": 1}


def test_a_facet_the_shopper_picks_holds_for_partial_matches_too(lanterns: dict) -> None:
    chosen = SearchFilters(facets={"category": (lanterns["full"].category.slug,)})
    assert set(titles("white metal lantern", filters=chosen)) == {
        "White Metal Lantern",
        "Black Metal Lantern",
        "Wooden Lantern",
    }
    # A price phrase stays a filter: the tail never brings a dearer product.
    assert titles("metal lantern under 10") == ["Black Metal Lantern", "Wooden Lantern"]


def test_pages_of_the_merged_list_do_not_overlap(lanterns: dict) -> None:
    whole = titles("white metal lantern", per_page=10)
    pages = [titles("white metal lantern", per_page=1, page=page) for page in range(1, 6)]
    assert [title for page in pages for title in page] == whole
    assert pages[4] == []


def test_many_full_matches_get_no_partial_tail(lanterns: dict) -> None:
    lights = lanterns["full"].category
    for number in range(PARTIAL_MATCHES_BELOW):
        make_product(name=f"Metal Lantern No {number}", category=lights)
    outcome = search_products(text="metal lantern", log=False)
    assert outcome.strict_total == PARTIAL_MATCHES_BELOW + 2
    assert outcome.result.total == outcome.strict_total  # no "Wooden Lantern", no bench


def test_only_partial_matches_say_so(lanterns: dict) -> None:
    outcome = search_products(text="metal teapot", log=False)
    assert outcome.strict_total == 0
    assert outcome.relaxed
    assert "some" in (outcome.notice or "")
    assert outcome.result.total == 3


def test_attribute_words_rank_as_text_rather_than_filter(lanterns: dict) -> None:
    outcome = search_products(text="black lantern", log=False)
    assert outcome.detected["attributes"] == {"colour": ("black",)}
    assert outcome.query.words == ("lantern", "black")  # searched as text
    assert outcome.filters.facets == {}  # understood, but not a filter
    assert titles("black lantern")[0] == "Black Metal Lantern"
    assert set(titles("black lantern")[1:]) == {"White Metal Lantern", "Wooden Lantern"}
    # Picked by the shopper, the colour is a filter.
    assert titles("lantern", filters=SearchFilters(facets={"colour": ("black",)})) == ["Black Metal Lantern"]


def test_color_and_colour_name_the_same_facet(lanterns: dict) -> None:
    american = SearchFilters(facets={"color": ("white",)})
    assert titles("lantern", filters=american) == ["White Metal Lantern"]
    outcome = search_products(text="lantern", filters=american, log=False)
    assert outcome.filters.facets == {"colour": ("white",)}


def test_compound_words_are_read_both_ways() -> None:
    kitchen = make_category(name="Kitchen")
    make_product(name="Retrospot Lunch Box", category=kitchen)
    make_product(name="Lunch Bag Pink", category=kitchen)
    make_product(name="Cardboard Box", category=kitchen)
    # Not a word of the catalog, but two of them: found as the phrase.
    outcome = search_products(text="lunchbox", log=False)
    assert [hit.id for hit in outcome.result.hits][:1] == [
        SearchDocument.objects.get(title="Retrospot Lunch Box").pk
    ]
    assert outcome.strict_total == 1
    assert outcome.query.corrections == {}

    # Two words whose join is a word: the words as typed first, then the joined word.
    make_product(name="Spaceboy Lunchbox", category=kitchen)
    found = titles("lunch box")
    assert found[:2] == ["Retrospot Lunch Box", "Spaceboy Lunchbox"]
    assert set(found[2:]) == {"Lunch Bag Pink", "Cardboard Box"}
    assert search_products(text="lunch box", log=False).strict_total == 2


def test_a_real_word_in_the_products_text_is_not_corrected() -> None:
    gifts = make_category(name="Gifts")
    # A close word the typo vocabulary (titles, aliases, attributes, categories) holds...
    make_product(name="Warp Knit Scarf", category=gifts, units_sold=500)
    # ...and the word itself only in a description.
    make_product(name="Hand Warmer", category=gifts, description="Keeps hands warm all day.")
    for text in ("warm", "warm scarf"):
        outcome = search_products(text=text, log=False)
        assert outcome.query.corrections == {}
        assert outcome.did_you_mean is None
    assert titles("warm") == ["Hand Warmer"]


def test_corrections_keep_the_first_letter_and_a_short_word_whole() -> None:
    gifts = make_category(name="Gifts")
    make_product(name="Felt Farm Animal Hen", category=gifts)
    make_product(name="War Horse Book", category=gifts)
    make_product(name="Umbrella Red", category=gifts)
    # "warm" is in no product: neither "farm" (first letter) nor "war" (a 3-letter word).
    assert search_products(text="warm", log=False).query.corrections == {}
    assert search_products(text="umberella", log=False).query.corrections == {"umberella": "umbrella"}


def test_a_word_the_shop_named_is_not_corrected() -> None:
    gifts = make_category(name="Gifts")
    make_product(name="Grand Piano Music Box", category=gifts)
    make_product(name="Teacup and Saucer", category=gifts)
    Synonym.objects.all().delete()  # a shop that removed the starter set (search/starter.py)
    assert search_products(text="gran", log=False).query.corrections == {"gran": "grand"}
    Synonym.objects.create(words="gran, granny, grandma")
    outcome = search_products(text="gran", log=False)
    assert outcome.query.corrections == {}
    assert outcome.result.total == 0


def test_price_phrase_with_partial_words_keeps_the_price(lanterns: dict) -> None:
    outcome = search_products(text="white lantern under 10", log=False)
    assert outcome.filters.max_price == Decimal("10.00")
    assert all(SearchDocument.objects.get(pk=hit.id).price_amount <= 10 for hit in outcome.result.hits)


def test_one_chinese_character_gets_suggestions() -> None:
    gifts = make_category(name="Gifts")
    candles = make_product(name="红色蜡烛 三件套", category=gifts)
    make_product(name="Vanilla Candle", category=gifts)
    suggestions = search_suggest(text="烛")
    assert [product["id"] for product in suggestions.products] == [candles.pk]
    assert "<mark>烛</mark>" in str(suggestions.products[0]["highlighted"])
    assert search_suggest(text="茶").products == []


def test_a_word_the_catalog_lacks_matches_as_a_stem_among_partial_matches() -> None:
    gifts = make_category(name="Gifts")
    make_product(name="Keep Calm Doormat", category=gifts)
    make_product(name="Hand Warmer Owl", category=gifts)
    make_product(name="Farm Animal Hen", category=gifts)
    outcome = search_products(text="keep warm", log=False)
    assert outcome.strict_total == 0
    found = {SearchDocument.objects.get(pk=hit.id).title for hit in outcome.result.hits}
    assert found == {"Keep Calm Doormat", "Hand Warmer Owl"}
