"""Shoppers who type in other scripts: Cyrillic, Greek, Arabic, Hebrew, Devanagari, Korean,
Chinese and Japanese names are found, on the engine of each tier."""

from __future__ import annotations

import pytest

from shopstack.search.models import SearchDocument
from shopstack.search.query import index_text, normalize, parse_query, words_of
from shopstack.search.services import search_products, search_suggest
from shopstack.testing.factories import make_category, make_product


def test_words_of_keeps_letters_of_every_script() -> None:
    assert words_of(normalize("Свеча «Ёлка»!")) == ["свеча", "елка"]
    assert words_of(normalize("Κερί-αρωματικό")) == ["κερι", "αρωματικο"]
    assert words_of(normalize("كوب قهوة")) == ["كوب", "قهوة"]
    assert words_of(normalize("양초 홀더")) == ["양초", "홀더"]


def test_indic_vowel_signs_are_letters_not_accents() -> None:
    # Dropping the virama and vowel signs would turn the word into another one.
    assert normalize("मोमबत्ती") == "मोमबत्ती"
    assert normalize("Crème") == "creme"


def test_han_and_kana_runs_become_overlapping_pairs() -> None:
    assert words_of("红色蜡烛") == ["红色", "色蜡", "蜡烛"]
    assert words_of("杯") == ["杯"]
    assert words_of("キャンドル2個") == ["キャ", "ャン", "ンド", "ドル", "2", "個"]
    # Indexed text also carries single characters, so a one-character query finds them.
    assert index_text("红色蜡烛").split() == ["红", "色", "蜡", "烛", "红色", "色蜡", "蜡烛"]


def test_query_syntax_in_other_scripts_stays_inert() -> None:
    query = parse_query('"свеча" NEAR(ёлка) -红色*')
    assert query.words == ("свеча", "near", "елка", "红色")


@pytest.fixture
def shop(db: None) -> dict[str, object]:
    gifts = make_category(name="Gifts")
    for word in ("Trowel", "Rake", "Hose", "Gnome", "Bench", "Fork"):
        make_product(name=f"Garden {word}", price="30.00", category=gifts)
    return {
        "ru": make_product(name="Свеча ароматическая Ёлка", price="4.00", category=gifts),
        "el": make_product(name="Αρωματικό κερί Χριστουγέννων", price="4.00", category=gifts),
        "hi": make_product(name="पीतल मोमबत्ती स्टैंड", price="9.00", category=gifts),
        "ko": make_product(name="라벤더 양초 세트", price="7.00", category=gifts),
        "zh": make_product(name="红色蜡烛 三件套", price="6.00", category=gifts),
        "ja": make_product(name="アロマキャンドル ラベンダー", price="5.00", category=gifts),
        "ar": make_product(name="كوب قهوة سيراميك", price="3.00", category=gifts),
        "he": make_product(name="ספל קפה קרמיקה", price="3.00", category=gifts),
    }


def found(text: str) -> list[str]:
    outcome = search_products(text=text, log=False)
    return [SearchDocument.objects.get(pk=hit.id).title for hit in outcome.result.hits]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("свеча", "ru"),
        ("СВЕЧА елка", "ru"),  # case and ё folded
        ("ελκα", None),
        ("κερι", "el"),  # typed without the tonos
        ("Χριστούγεννων", "el"),
        ("मोमबत्ती", "hi"),
        ("양초", "ko"),
        ("蜡烛", "zh"),
        ("红色蜡烛", "zh"),
        ("烛", "zh"),
        ("キャンドル", "ja"),
        ("قهوة", "ar"),
        ("קפה", "he"),
    ],
)
def test_products_named_in_other_scripts_are_found(shop: dict, query: str, key: str | None) -> None:
    titles = found(query)
    if key is None:
        assert titles == []
    else:
        assert titles[:1] == [shop[key].name]


@pytest.mark.django_db
def test_sharing_one_character_is_not_a_match(shop: dict) -> None:
    # 红茶 (black tea) shares 红 with 红色蜡烛 (red candles) but not a character pair.
    assert found("红茶") == []


@pytest.mark.django_db
def test_suggest_completes_cyrillic_prefix(shop: dict) -> None:
    titles = [product["title"] for product in search_suggest(text="свеч").products]
    assert titles == [shop["ru"].name]
