"""Searching as a shopper: freshness, typos, synonyms, fallbacks, merchandising, the log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command

from shopstack.catalog.models import Product
from shopstack.catalog.services import products_set_published, variant_set_price
from shopstack.inventory.services import stock_set_quantity
from shopstack.search import selectors
from shopstack.search.backends.base import SearchFilters
from shopstack.search.models import MerchandisingRule, SearchDocument, SearchQuery, Synonym
from shopstack.search.popular import BlockList, popular_searches_refresh
from shopstack.search.services import search_click, search_products, search_suggest
from shopstack.testing.factories import make_category, make_product, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> dict:
    candles = make_category(name="Candles")
    kitchen = make_category(name="Kitchen")
    filler = make_category(name="Garden")
    for word in ("Trowel", "Rake", "Hose", "Gnome", "Bench", "Fork", "Spade", "Shears"):
        make_product(name=f"Garden {word}", price="30.00", category=filler)
    return {
        "holder": make_product(
            name="White Hanging Heart T-Light Holder",
            price="2.95",
            category=candles,
            attributes={"Colour": "White"},
            units_sold=50,
        ),
        "red": make_product(
            name="Red Heart Candle Holder", price="8.00", category=candles, attributes={"Colour": "Red"}
        ),
        "candle": make_product(name="Vanilla Scented Candle", price="4.50", category=candles),
        "mug": make_product(name="Pottering Mug", price="3.25", category=kitchen),
        "cup": make_product(name="Paper Party Cups", price="1.45", category=kitchen),
        "xmas": make_product(name="Christmas Star Decoration", price="1.25", category=kitchen),
    }


def found(text: str, **kwargs: object) -> list[str]:
    """Titles of the products that match in full (listed before any partial matches)."""
    outcome = search_products(text=text, log=False, **kwargs)  # type: ignore[arg-type]
    full = outcome.result.hits[: outcome.strict_total]
    return [SearchDocument.objects.get(pk=hit.id).title for hit in full]


def test_first_search_indexes_the_catalog(shop: dict) -> None:
    assert found("heart holder") == ["White Hanging Heart T-Light Holder", "Red Heart Candle Holder"]


def test_changes_are_searchable_on_the_next_search(shop: dict) -> None:
    assert found("vanilla") == ["Vanilla Scented Candle"]
    candle = shop["candle"]
    candle.name = "Lavender Scented Candle"
    candle.save()
    assert found("vanilla") == []
    assert found("lavender") == ["Lavender Scented Candle"]

    variant_set_price(actor=None, variant=candle.variants.get(), price=Decimal("40"))
    assert found("lavender", filters=SearchFilters(max_price=Decimal("10"))) == []
    stock_set_quantity(actor=None, variant=candle.variants.get(), warehouse=make_warehouse(), quantity=0)
    assert found("lavender", filters=SearchFilters(in_stock=True)) == []

    products_set_published(product_ids=[candle.pk], published=False)
    assert found("lavender") == []
    assert not SearchDocument.objects.filter(pk=candle.pk).exists()


def test_a_deleted_product_is_neither_suggested_nor_counted(
    shop: dict, django_capture_on_commit_callbacks
) -> None:
    both = {"Red Heart Candle Holder", "Vanilla Scented Candle"}
    assert {p["title"] for p in search_suggest(text="cand").products} == both
    total_before = search_products(text="candle", log=False).result.total
    first = search_suggest(text="cand", limit=1).products[0]
    with django_capture_on_commit_callbacks(execute=True):
        SearchDocument.objects.get(pk=first["id"]).product.delete()
    # The other one takes the single place: nothing is left of the deleted one in the engine.
    assert [p["title"] for p in search_suggest(text="cand", limit=1).products] == sorted(
        both - {first["title"]}
    )
    outcome = search_products(text="candle", log=False)
    assert outcome.result.total == total_before - 1
    assert first["id"] not in [hit.id for hit in outcome.result.hits]


def test_products_deleted_together_leave_the_engine_together(
    shop: dict, django_capture_on_commit_callbacks
) -> None:
    from django.db import transaction

    search_products(text="garden", log=False)  # indexed
    garden = list(Product.objects.filter(name__startswith="Garden"))
    kept = garden[3].pk
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        for product in garden[:3]:
            product.delete()
        try:
            with transaction.atomic():  # a deletion rolled back: that product stays searchable
                garden[3].delete()
                raise RuntimeError
        except RuntimeError:
            pass
    assert len(callbacks) == 1  # one removal for the transaction
    callbacks[0]()
    assert search_products(text="garden", log=False).result.total == len(garden) - 3
    suggested = [p["id"] for p in search_suggest(text="garden", limit=20).products]
    assert len(suggested) == len(garden) - 3
    assert kept in suggested


def test_typo_is_corrected_when_nothing_matches(shop: dict) -> None:
    outcome = search_products(text="hart holdr", log=False)
    assert outcome.result.total == 2
    assert outcome.query.corrections == {"hart": "heart", "holdr": "holder"}
    assert "heart holder" in (outcome.notice or "")


def test_did_you_mean_when_the_typo_still_finds_something(shop: dict) -> None:
    for size in range(10):
        make_product(name=f"Pillar Candle {size}", category=shop["candle"].category)
    make_product(name="Candel Brand Matches", category=shop["candle"].category)
    outcome = search_products(text="candel", log=False)
    assert outcome.strict_total == 1
    assert outcome.did_you_mean == "candle"
    # The one product spelt that way first, then what the commoner spelling finds.
    titles = [SearchDocument.objects.get(pk=hit.id).title for hit in outcome.result.hits]
    assert titles[0] == "Candel Brand Matches"
    assert set(titles[1:]) == {f"Pillar Candle {size}" for size in range(10)} | {
        "Red Heart Candle Holder",
        "Vanilla Scented Candle",
        "White Hanging Heart T-Light Holder",  # in the Candles category
    }
    assert outcome.result.total == 14


def test_synonyms_from_the_admin_model(shop: dict) -> None:
    Synonym.objects.all().delete()  # a shop that removed the starter set (search/starter.py)
    assert found("cup") == ["Paper Party Cups"]
    Synonym.objects.create(words="mug, cup")
    Synonym.objects.create(words="xmas, christmas")
    assert set(found("cup")) == {"Paper Party Cups", "Pottering Mug"}
    assert found("xmas") == ["Christmas Star Decoration"]


def test_price_and_attribute_intent(shop: dict) -> None:
    outcome = search_products(text="heart holder under £5", log=False)
    assert outcome.filters.max_price == Decimal("5.00")
    assert outcome.result.total == 1
    assert found("red heart holder") == ["Red Heart Candle Holder"]
    assert set(found("cheap candles")) == {"White Hanging Heart T-Light Holder", "Vanilla Scented Candle"}


def test_zero_results_relax_filters_then_words(shop: dict) -> None:
    outcome = search_products(text="heart holder under 1", log=False)
    assert outcome.relaxed
    assert outcome.result.total == 2
    outcome = search_products(text="vanilla gnome", log=False)
    assert outcome.relaxed
    assert outcome.result.total == 2
    assert "some" in (outcome.notice or "")


def test_pins_and_boosts_for_a_query(shop: dict) -> None:
    MerchandisingRule.objects.create(query="Heart Holder", product=shop["mug"], action="pin")
    MerchandisingRule.objects.create(query="heart holder", product=shop["red"], action="boost")
    assert found("heart holder") == [
        "Pottering Mug",
        "Red Heart Candle Holder",
        "White Hanging Heart T-Light Holder",
    ]


def test_a_rule_changed_after_a_search_applies_to_the_next(shop: dict) -> None:
    rule = MerchandisingRule.objects.create(query="heart holder", product=shop["mug"], action="pin")
    assert found("heart holder")[0] == "Pottering Mug"
    rule.is_active = False
    rule.save()  # the admin's edit renews the search reference's stamp
    assert "Pottering Mug" not in found("heart holder")
    Synonym.objects.create(words="mug, holder")
    assert "Pottering Mug" in found("holder")


def test_inside_a_request_the_log_row_is_written_after_the_response(shop: dict) -> None:
    from shopstack.search.log import search_log_deferred

    with search_log_deferred():
        outcome = search_products(text="heart holder")
        assert outcome.log_token
        assert not SearchQuery.objects.filter(token=outcome.log_token).exists()
    assert SearchQuery.objects.get(token=outcome.log_token).result_count == 2


def test_search_is_logged_and_clicks_recorded(shop: dict) -> None:
    outcome = search_products(text="Heart holder")
    search_products(text="heart   holder")
    search_products(text="zzqx")
    assert outcome.log_token
    entry = SearchQuery.objects.get(token=outcome.log_token)
    assert (entry.normalized, entry.result_count) == ("heart holder", 2)
    search_click(log_token=outcome.log_token, product_id=shop["holder"].pk, position=1)
    search_click(log_token=outcome.log_token, product_id=shop["red"].pk, position=2)  # the first counts
    entry.refresh_from_db()
    assert entry.clicked_product_id == shop["holder"].pk
    top = selectors.top_queries()
    assert top[0]["normalized"] == "heart holder"
    assert top[0]["times"] == 2
    assert top[0]["clicks"] == 1
    assert [row["normalized"] for row in selectors.top_queries(zero_results=True)] == ["zzqx"]


def test_suggest_products_categories_and_popular_queries(shop: dict) -> None:
    for address in ("192.0.2.1", "198.51.100.2", "203.0.113.3"):
        search_products(text="candles", client_address=address)
    popular_searches_refresh(blocked=BlockList())
    suggestions = search_suggest(text="cand")
    assert {p["title"] for p in suggestions.products} == {"Red Heart Candle Holder", "Vanilla Scented Candle"}
    assert suggestions.categories == [{"name": "Candles", "slug": "candles"}]
    assert suggestions.queries == ["candles"]
    assert search_suggest(text='"*').products == []


def test_popular_queries_match_the_prefix_literally(shop: dict) -> None:
    searches = ("50% off mugs", "50 off mugs", "a_b candle", "axb candle", "a_b candle", "a_b cushion")
    for visitor in ("v1", "v2", "v3"):
        for text in searches:
            SearchQuery.objects.create(
                query=text, normalized=text, result_count=0 if text == "a_b cushion" else 1, visitor=visitor
            )
    SearchQuery.objects.create(query="axb candle", normalized="axb candle", result_count=1, visitor="v4")
    popular_searches_refresh(blocked=BlockList())
    assert search_suggest(text="50%").queries == ["50% off mugs"]
    assert search_suggest(text="A_B").queries == ["a_b candle"]  # found something
    assert search_suggest(text="ax").queries == ["axb candle"]
    assert search_suggest(text="a").queries == ["axb candle", "a_b candle"]  # most visitors first


def test_reindex_command(shop: dict) -> None:
    SearchDocument.objects.all().delete()
    call_command("search_reindex", verbosity=0)
    assert SearchDocument.objects.count() == 14
    assert found("heart holder")


def test_a_large_backlog_is_left_to_a_worker(shop: dict, django_capture_on_commit_callbacks) -> None:
    from shopstack.search.indexing import index_sync

    with django_capture_on_commit_callbacks(execute=True):
        assert index_sync(limit=3) == 0  # too many for a request: an event asks a worker
    assert SearchDocument.objects.count() == 14
    assert index_sync(limit=3) == 0  # caught up


def test_a_category_rename_or_move_reaches_the_index_without_a_reindex(shop: dict) -> None:
    assert found("kitchen pottering") == ["Pottering Mug"]
    kitchen = shop["mug"].category
    kitchen.name = "Scullery"
    kitchen.save()
    assert found("scullery pottering") == ["Pottering Mug"]
    assert search_products(text="kitchen pottering", log=False).relaxed  # the old name no longer matches
    outcome = search_products(text="mug", log=False)
    assert [c.label for c in outcome.result.facets["category"]] == ["Scullery"]

    # Moved under a new parent: its products are found by the parent's name (an ancestor).
    home = make_category(name="Homeware")
    kitchen.parent = home
    kitchen.save()
    assert found("homeware pottering") == ["Pottering Mug"]
    assert {c.label for c in search_products(text="mug", log=False).result.facets["category"]} == {
        "Scullery",
        "Homeware",
    }


def test_a_parent_category_rename_reaches_products_below_it(shop: dict) -> None:
    home = make_category(name="Homeware")
    candles = shop["candle"].category
    candles.parent = home
    candles.save()
    assert "Vanilla Scented Candle" in found("homeware vanilla")
    home.name = "Living"
    home.save()
    assert found("living vanilla") == ["Vanilla Scented Candle"]
    assert search_products(text="homeware vanilla", log=False).relaxed


def test_requests_skip_the_sync_while_a_worker_catch_up_is_queued(shop: dict) -> None:
    from django.core.cache import cache

    from shopstack.search.handlers import on_search_index_behind
    from shopstack.search.indexing import SYNC_QUEUED_KEY, index_sync

    assert found("vanilla") == ["Vanilla Scented Candle"]
    cache.set(SYNC_QUEUED_KEY, 1, 60)
    candle = shop["candle"]
    candle.name = "Lavender Scented Candle"
    candle.save()
    assert index_sync() == 0  # a request leaves it to the queued worker
    assert SearchDocument.objects.get(pk=candle.pk).title == "Vanilla Scented Candle"
    on_search_index_behind(None)  # type: ignore[arg-type]
    assert SearchDocument.objects.get(pk=candle.pk).title == "Lavender Scented Candle"
