"""Query understanding that needs the catalog: what it knows (attribute values, category
names, synonyms), which typed words are misspelt, and which are compounds to read both
ways. The pure parts are in query.py and spelling.py."""

from __future__ import annotations

from itertools import pairwise

from shopstack.search.backends.base import SearchFilters
from shopstack.search.indexing import search_backend
from shopstack.search.query import (
    ParsedQuery,
    QueryKnowledge,
    Term,
    singular,
    with_compounds,
)
from shopstack.search.spelling import best_correction, compound_splits


class Vocabulary:
    """Which words the index knows, asked of the backend once per word for one search
    (compounds, corrections and stems all ask about the same words)."""

    def __init__(self) -> None:
        self._answers: dict[str, bool] = {}

    def known(self, words: set[str]) -> set[str]:
        missing = {word for word in words if word not in self._answers}
        if missing:
            found = search_backend().known_terms(missing)
            self._answers.update({word: word in found for word in missing})
        return {word for word in words if self._answers[word]}


def _knows_as_text(word: str) -> bool:
    """Whether the word finds a product on its own anywhere in the indexed text (descriptions
    included, which the typo vocabulary leaves out): a real word of this catalog, not a typo."""
    found = search_backend().search(
        ParsedQuery(raw=word, terms=(Term(word=word),)), filters=SearchFilters(), per_page=1
    )
    return found.total > 0


def corrections_for(
    query: ParsedQuery, knowledge: QueryKnowledge, vocabulary: Vocabulary, *, rare_too: bool
) -> dict[str, str]:
    """Likely intended words for misspelt ones: words the index does not know, and with
    `rare_too`, known words far rarer than a close one ("candel" beside "candle").

    Never corrected: a word the shop's synonyms, attribute values or category names
    contain (staff made it a word), a word split as a compound, and a word that occurs
    anywhere in the products' text ("warm" in a description is not a typo of "farm")."""
    backend = search_backend()
    # A term with alternatives is a synonym (a shop word) or a compound read both ways.
    words = [term.word for term in query.terms if not term.prefix and not term.alternatives]
    known = vocabulary.known({*words, *(singular(word) for word in words)})
    shop_words = _shop_words(knowledge)
    corrections = {}
    for word in words:
        if word.isdigit() or word in shop_words or singular(word) in shop_words:
            continue
        is_known = word in known or singular(word) in known
        if is_known and not rare_too:
            continue
        candidates = backend.similar_terms(word)
        if is_known:
            own = max([frequency for term, frequency in candidates if term == word] or [1])
            candidates = [(term, freq) for term, freq in candidates if term != word and freq >= 10 * own]
        better = best_correction(word, candidates)
        if better and singular(better) != singular(word) and (is_known or not _knows_as_text(word)):
            corrections[word] = better
    return corrections


_shop_words_of: tuple[QueryKnowledge, frozenset[str]] | None = None


def _shop_words(knowledge: QueryKnowledge) -> frozenset[str]:
    """Every word of the shop's synonyms, attribute values and category names; worked out once
    per copy of the knowledge (reference.py keeps one per process until something changes)."""
    global _shop_words_of
    held = _shop_words_of
    if held is not None and held[0] is knowledge:
        return held[1]
    phrases = [*knowledge.synonyms, *knowledge.attribute_values, *knowledge.categories]
    for others in knowledge.synonyms.values():
        phrases.extend(others)
    words = frozenset(word for phrase in phrases for word in phrase.split())
    _shop_words_of = (knowledge, words)
    return words


def compounds_for(query: ParsedQuery, vocabulary: Vocabulary) -> tuple[ParsedQuery, ParsedQuery | None]:
    """Compounds read both ways. A word the index does not know that splits into two words
    it knows also matches them as a phrase ("lunchbox" finds "Lunch Box"): the first query.
    Two neighbouring words whose join the index knows make a second query, matching the
    joined word or the phrase ("lunch box" finds "Lunchbox"), or None when there is no such
    pair; it ranks after the words as typed (see `_tiers`)."""
    words = [term.word for term in query.terms if not term.prefix]
    if not words:
        return query, None
    pairs = list(pairwise(words))
    splits_of = {word: compound_splits(word) for word in words}
    asked = {*words, *(a + b for a, b in pairs)}
    asked.update(part for options in splits_of.values() for split in options for part in split)
    asked.update(singular(part) for part in list(asked))
    known = vocabulary.known(asked)

    def is_known(word: str) -> bool:
        return word in known or singular(word) in known

    splits: dict[str, str] = {}
    for word, options in splits_of.items():
        if is_known(word):
            continue
        for left, right in options:
            if left in known and is_known(right):
                splits[word] = f"{left} {right}"
                break
    query = with_compounds(query, splits, {})
    joins = {(a, b): a + b for a, b in pairs if is_known(a + b) and a not in splits and b not in splits}
    return query, (with_compounds(query, {}, joins) if joins else None)


def unknown_words(query: ParsedQuery, vocabulary: Vocabulary) -> list[str]:
    """Words of 4 letters or more that no product's vocabulary holds, such as a stem of
    catalog words ("warm" beside "warmer")."""
    corrected = set(query.corrections.values())  # taken from the vocabulary
    words = [
        t.word
        for t in query.terms
        if len(t.word) >= 4 and not t.alternatives and not t.word.isdigit() and t.word not in corrected
    ]
    if not words:
        return []
    known = vocabulary.known({*words, *(singular(word) for word in words)})
    return [word for word in words if word not in known and singular(word) not in known]
