"""Query understanding: pure functions, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopstack.search.query import (
    QueryKnowledge,
    Term,
    extract_price,
    is_partial_match_worthy,
    normalize,
    parse_query,
    relaxations,
    singular,
    synonym_map,
    with_compounds,
    with_corrections,
    without_intent_filters,
    words_of,
)
from shopstack.search.spelling import best_correction, compound_splits, edit_distance

KNOWLEDGE = QueryKnowledge(
    attribute_values={
        "red": ("colour", "red"),
        "light blue": ("colour", "light-blue"),
        "glass": ("material", "glass"),
    },
    categories={"candle": "candles", "christmas": "christmas"},
    synonyms=synonym_map([["mug", "cup"], ["xmas", "christmas"], ["t light", "tealight"]]),
)


def test_normalize_folds_case_accents_and_space() -> None:
    assert normalize("  Crème   BRÛLÉE ") == "creme brulee"
    assert normalize("ﬁne") == "fine"
    assert len(normalize("x" * 10_000)) == 200


@pytest.mark.parametrize(
    ("text", "rest", "low", "high"),
    [
        ("candles under 5", "candles", None, "5.00"),
        ("mug below £20", "mug", None, "20.00"),
        ("less than 10 bags", "bags", None, "10.00"),
        ("bags between 10 and 20", "bags", "10.00", "20.00"),
        ("bags between 20 and 10", "bags", "10.00", "20.00"),
        ("lights £5-£10", "lights", "5.00", "10.00"),
        ("lights £5 to 10", "lights", "5.00", "10.00"),
        ("over 50 hampers", "hampers", "50.00", None),
        ("stickers under 50p", "stickers", None, "0.50"),
        ("cheap candles", "candles", None, "5"),
        ("cheap candles under 3", "candles", None, "3.00"),
        ("no price here", "no price here", None, None),
        ("pack of 12", "pack of 12", None, None),
    ],
)
def test_price_intent(text: str, rest: str, low: str | None, high: str | None) -> None:
    remaining, found_low, found_high = extract_price(normalize(text))
    assert remaining == rest
    assert found_low == (Decimal(low) if low else None)
    assert found_high == (Decimal(high) if high else None)


def test_words_are_letters_and_digits_only() -> None:
    assert words_of(normalize('"hello" NEAR(world*) -x (a OR b) AND c:d ^e {f}')) == [
        "hello", "near", "world", "x", "a", "or", "b", "and", "c", "d", "e", "f",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ['"', "*", "NEAR(", "-", "()", "AND OR NOT", "", "   ", "£", "between and"])
def test_syntax_only_queries_parse_to_plain_words(text: str) -> None:
    query = parse_query(text, knowledge=KNOWLEDGE)
    assert all(term.word.isalnum() for term in query.terms)


def test_stopwords_dropped_unless_nothing_else() -> None:
    assert parse_query("a mug for the kitchen").words == ("mug", "kitchen")
    assert parse_query("the").words == ("the",)


def test_attribute_words_become_filters_and_leave_the_text() -> None:
    query = parse_query("red heart candle holder", knowledge=KNOWLEDGE)
    assert query.attributes == {"colour": ("red",)}
    assert query.words == ("heart", "candle", "holder")
    assert query.intent_words == ("red",)
    assert query.categories == ("candles",)


def test_multi_word_attribute_and_plural_category() -> None:
    query = parse_query("light blue glass candles", knowledge=KNOWLEDGE)
    assert query.attributes == {"colour": ("light-blue",), "material": ("glass",)}
    assert query.words == ("candles",)
    assert query.categories == ("candles",)


def test_only_attribute_words_stay_a_text_search() -> None:
    query = parse_query("red", knowledge=KNOWLEDGE)
    assert query.attributes == {}
    assert query.words == ("red",)


def test_synonyms_expand_both_ways() -> None:
    assert parse_query("mug", knowledge=KNOWLEDGE).terms == (Term("mug", ("cup",)),)
    assert parse_query("cups", knowledge=KNOWLEDGE).terms == (Term("cups", ("mug",)),)
    assert parse_query("xmas", knowledge=KNOWLEDGE).terms[0].alternatives == ("christmas",)
    assert parse_query("tealight", knowledge=KNOWLEDGE).terms[0].alternatives == ("t light",)


def test_prefix_marks_only_the_last_word() -> None:
    query = parse_query("jumbo ba", prefix=True)
    assert [term.prefix for term in query.terms] == [False, True]


def test_singular() -> None:
    assert [singular(w) for w in ("candles", "boxes", "berries", "glass", "bus", "mugs", "tea")] == [
        "candle", "box", "berry", "glass", "bus", "mug", "tea",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("candel", "candle", 1), ("candle", "candle", 0), ("hart", "heart", 1), ("holdr", "holder", 1),
     ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3)],
)  # fmt: skip
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, limit=3) == distance


@given(st.text(max_size=12), st.text(max_size=12))
def test_edit_distance_is_symmetric_and_capped(a: str, b: str) -> None:
    assert edit_distance(a, b) == edit_distance(b, a)
    assert 0 <= edit_distance(a, b) <= 3


def test_best_correction_prefers_fewer_edits_then_frequency() -> None:
    assert best_correction("candel", [("candy", 14), ("candle", 300), ("chandelier", 7)]) == "candle"
    assert best_correction("candle", [("candle", 1), ("handle", 5)]) is None  # already a word
    assert best_correction("mug", [("mud", 4)]) is None  # too short to guess
    assert best_correction("zzzzzz", [("candle", 3)]) is None
    assert best_correction("chrismtas", [("christmas", 3)]) == "christmas"


def test_best_correction_keeps_the_first_letter_and_the_shorter_words_budget() -> None:
    assert best_correction("warm", [("farm", 900)]) is None  # another first letter
    assert best_correction("warm", [("war", 900)]) is None  # a 3-letter word takes no typo
    assert best_correction("warm", [("farm", 900), ("ward", 2)]) == "ward"
    assert best_correction("lanturn", [("lantern", 5)]) == "lantern"


def test_compound_splits_most_even_first() -> None:
    assert compound_splits("lunchbox") == [("lunc", "hbox"), ("lun", "chbox"), ("lunch", "box")]
    assert all(len(left) >= 3 and len(right) >= 3 for left, right in compound_splits("doorstop"))
    assert compound_splits("mugs") == []
    assert compound_splits("x" * 25) == []  # a long run of letters is not looked up cut by cut
    assert compound_splits("85123a") == []


def test_with_compounds_adds_the_phrase_or_joins_two_words() -> None:
    split = with_compounds(parse_query("red lunchbox"), {"lunchbox": "lunch box"}, {})
    assert split.words == ("red", "lunchbox")
    assert split.terms[1].alternatives == ("lunch box",)
    joined = with_compounds(parse_query("red lunch box"), {}, {("lunch", "box"): "lunchbox"})
    assert joined.words == ("red", "lunchbox")
    assert joined.terms[1].alternatives == ("lunch box",)


def test_partial_matches_need_two_words_and_no_character_pairs() -> None:
    assert is_partial_match_worthy(parse_query("metal lantern"))
    assert not is_partial_match_worthy(parse_query("lantern"))
    assert not is_partial_match_worthy(parse_query("红色蜡烛"))


def test_without_intent_filters_searches_attribute_words_as_text() -> None:
    query = parse_query("red candle under 5", knowledge=KNOWLEDGE)
    assert query.attributes == {"colour": ("red",)}
    loose = without_intent_filters(query)
    assert loose.attributes == {}
    assert loose.words == ("candle", "red")
    assert loose.max_price == Decimal("5.00")


def test_with_corrections_replaces_words_and_looks_up_synonyms() -> None:
    query = parse_query("mgu holder", knowledge=KNOWLEDGE)
    fixed = with_corrections(query, {"mgu": "mug"}, KNOWLEDGE)
    assert fixed.words == ("mug", "holder")
    assert fixed.terms[0].alternatives == ("cup",)
    assert fixed.corrections == {"mgu": "mug"}


def test_relaxations_drop_filters_then_any_word() -> None:
    query = parse_query("red heart holder under 5", knowledge=KNOWLEDGE)
    steps = relaxations(query)
    assert len(steps) == 2
    no_filters, note = steps[0]
    assert no_filters.attributes == {}
    assert no_filters.max_price is None
    assert no_filters.words == ("heart", "holder", "red")
    assert "price" in note
    assert steps[1][0].match_any
    assert relaxations(parse_query("candle")) == []


@given(st.text(max_size=300))
def test_parse_never_raises_and_yields_plain_words(text: str) -> None:
    query = parse_query(text, knowledge=KNOWLEDGE, prefix=True)
    assert len(query.terms) <= 12
    # Words of any script, but never punctuation, spaces or operators an engine could read.
    assert all(term.word and term.word == "".join(term.word.split()) for term in query.terms)
    assert not any(set(term.word) & set("\"*()-:^{}+_'.,;") for term in query.terms)
