"""Query understanding: pure functions from what a shopper typed to a `ParsedQuery`.

Nothing here touches the database: what the catalog knows (attribute values, category
names, synonyms) comes in as a `QueryKnowledge`, and typo corrections are applied by the
caller with `with_corrections`. The words that come out are plain lower-case letters and
digits, so no engine ever sees query syntax (quotes, `*`, NEAR, `-`, parentheses).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation

MAX_QUERY_CHARS = 200
MAX_TERMS = 12
CHEAP_MAX = Decimal("5")
_STOPWORDS_TEXT = "a an and any are as at for from i in is it of on or some that the to with want need me my"
STOPWORDS = frozenset(_STOPWORDS_TEXT.split(" "))
CHEAP_WORDS = frozenset({"cheap", "cheapest", "budget", "inexpensive", "bargain", "affordable"})
# Letters and digits of any script, and the vowel signs of the blocks below (which `\w`
# leaves out); `_` (turned into a space first) and punctuation split words.
_WORD_RE = re.compile(r"[\w\u0900-\u0963\u0966-\u109f\u1780-\u17d3]+")
# Scripts written without spaces between words (Han, kana): a run of them is split into
# overlapping pairs of characters, the usual way to search them without a dictionary.
_UNSPACED_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")
# Combining marks of these blocks (Indic, Thai, Lao, Tibetan, Myanmar, Khmer) are vowel
# signs and viramas: part of the word, not accents to fold away.
_LETTER_MARK_BLOCKS = ((0x0900, 0x109F), (0x1780, 0x17FF))
_MONEY = r"(?:£|\$|€|gbp\s*)?\s*(\d{1,9}(?:\.\d{1,2})?)\s*(p\b|pence\b|pounds?\b|quid\b|gbp\b)?"
_BETWEEN_RE = re.compile(rf"\b(?:between|from)\s+{_MONEY}\s*(?:and|to|-)\s*{_MONEY}")
_RANGE_RE = re.compile(rf"(?:(?<=\s)|^)(?:£|\$|€)\s*(\d{{1,9}}(?:\.\d{{1,2}})?)\s*(?:-|to)\s*{_MONEY}")
_MAX_RE = re.compile(
    rf"(?:\b(?:under|below|less\s+than|cheaper\s+than|up\s+to|max(?:imum)?|no\s+more\s+than)|<=?)\s*{_MONEY}"
)
_MIN_RE = re.compile(rf"(?:\b(?:over|above|more\s+than|at\s+least|min(?:imum)?)|>=?)\s*{_MONEY}")


@dataclass(frozen=True)
class Term:
    """One word the results must match (or, relaxed, may match).

    `alternatives` are words or phrases that count as the same (synonyms);
    `prefix` matches words that start with it (the word being typed)."""

    word: str
    alternatives: tuple[str, ...] = ()
    prefix: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    raw: str
    terms: tuple[Term, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    # attribute slug -> value slugs, from words that name them ("red" -> colour: red).
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # category slugs named by a word of the query: ranked higher, not filtered.
    categories: tuple[str, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)
    # Words of the query that became attribute filters (put back when relaxing).
    intent_words: tuple[str, ...] = ()
    # True when any one term may match (the last step of relaxing a query).
    match_any: bool = False

    @property
    def text(self) -> str:
        """The words searched for, as a shopper would read them."""
        return " ".join(term.word for term in self.terms)

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(term.word for term in self.terms)

    def is_empty(self) -> bool:
        return not self.terms and not self.attributes and self.min_price is None and self.max_price is None


@dataclass(frozen=True)
class QueryKnowledge:
    """What the catalog knows, for turning words into filters and synonyms."""

    # normalised phrase ("red", "light blue") -> (attribute slug, value slug)
    attribute_values: dict[str, tuple[str, str]] = field(default_factory=dict)
    # normalised category name, singular ("candle holder") -> category slug
    categories: dict[str, str] = field(default_factory=dict)
    # normalised word or phrase -> the other words or phrases of its synonym group
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cheap_max: Decimal = CHEAP_MAX


def _is_accent(char: str) -> bool:
    if not unicodedata.combining(char):
        return False
    code = ord(char)
    return not any(low <= code <= high for low, high in _LETTER_MARK_BLOCKS)


def fold(text: str) -> str:
    """Lower case, accents removed (é -> e, and likewise in Greek and Cyrillic), compatibility
    forms folded.
    Recomposed afterwards so that Hangul syllables and Indic letters stay whole."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not _is_accent(ch))
    return unicodedata.normalize("NFC", text).casefold()


def normalize(text: str) -> str:
    """A query as searched: folded, whitespace collapsed, at most MAX_QUERY_CHARS."""
    return " ".join(fold(text[: MAX_QUERY_CHARS * 4]).split())[:MAX_QUERY_CHARS]


def _split_unspaced(word: str, *, with_single: bool) -> list[str]:
    parts: list[str] = []
    position = 0
    for run in _UNSPACED_RE.finditer(word):
        if run.start() > position:
            parts.append(word[position : run.start()])
        chars = run.group()
        pairs = [chars[i : i + 2] for i in range(len(chars) - 1)] or [chars]
        parts.extend([*chars, *pairs] if with_single and len(chars) > 1 else pairs)
        position = run.end()
    if position < len(word):
        parts.append(word[position:])
    return parts


def is_unspaced_script(word: str) -> bool:
    """Whether the word is written in a script without spaces between words (Han, kana)."""
    return bool(_UNSPACED_RE.fullmatch(word))


def words_of(text: str) -> list[str]:
    """The searchable words of normalised text: runs of letters and digits (any script),
    nothing else; Chinese and Japanese runs as overlapping character pairs."""
    words: list[str] = []
    for word in _WORD_RE.findall(text.replace("_", " ")):
        words.extend(_split_unspaced(word, with_single=False) if _UNSPACED_RE.search(word) else [word])
    return words


def index_text(text: str) -> str:
    """What an engine indexes for `text`: the same folding and word splitting as queries get
    (so "t-light" matches "t light" and "ёлка" matches "елка"), plus single Han and kana
    characters so that a one-character query finds them."""
    words: list[str] = []
    for word in _WORD_RE.findall(fold(text).replace("_", " ")):
        words.extend(_split_unspaced(word, with_single=True) if _UNSPACED_RE.search(word) else [word])
    return " ".join(words)


def singular(word: str) -> str:
    """A rough English singular, for matching words to names ("candles" -> "candle")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _amount(number: str, unit: str | None) -> Decimal | None:
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    if unit and unit.startswith("p"):
        value = value / 100 if unit in ("p", "pence") else value
    return value.quantize(Decimal("0.01"))


def extract_price(text: str, *, cheap_max: Decimal = CHEAP_MAX) -> tuple[str, Decimal | None, Decimal | None]:
    """Find a price phrase in normalised text: (text without it, min price, max price).

    "under 5", "below £20", "less than 10", "between 10 and 20", "£5-£10", "over 50",
    "50p" amounts and "cheap". A reversed range ("between 20 and 10") is put right."""
    low: Decimal | None = None
    high: Decimal | None = None
    for pattern in (_BETWEEN_RE, _RANGE_RE):
        match = pattern.search(text)
        if match:
            groups = match.groups()
            first_unit = groups[1] if pattern is _BETWEEN_RE else None
            first = _amount(groups[0], first_unit)
            second = _amount(groups[-2], groups[-1])
            if first is not None and second is not None:
                low, high = sorted((first, second))
                text = text[: match.start()] + " " + text[match.end() :]
                break
    if low is None and high is None:
        match = _MAX_RE.search(text)
        if match:
            high = _amount(match.group(1), match.group(2))
            text = text[: match.start()] + " " + text[match.end() :]
        match = _MIN_RE.search(text)
        if match:
            low = _amount(match.group(1), match.group(2))
            text = text[: match.start()] + " " + text[match.end() :]
    words = text.split()
    if any(word in CHEAP_WORDS for word in words):
        words = [word for word in words if word not in CHEAP_WORDS]
        if high is None:
            high = cheap_max
    if low is not None and high is not None and low > high:
        low, high = high, low
    return " ".join(words), low, high


def _match_phrases(
    words: list[str], phrases: dict[str, object], *, max_len: int = 3
) -> list[tuple[int, int]]:
    """(start, end) spans of `words` that are keys of `phrases`, longest first, not overlapping.
    A word also matches in its singular form."""
    spans: list[tuple[int, int]] = []
    taken: set[int] = set()
    for length in range(max_len, 0, -1):
        for start in range(len(words) - length + 1):
            span = range(start, start + length)
            if taken.intersection(span):
                continue
            chunk = words[start : start + length]
            candidates = (" ".join(chunk), " ".join([*chunk[:-1], singular(chunk[-1])]))
            if any(candidate in phrases for candidate in candidates):
                spans.append((start, start + length))
                taken.update(span)
    return sorted(spans)


def _lookup(chunk: list[str], phrases: dict[str, object]) -> object:
    exact = " ".join(chunk)
    return phrases[exact] if exact in phrases else phrases[" ".join([*chunk[:-1], singular(chunk[-1])])]


def parse_query(raw: str, *, knowledge: QueryKnowledge | None = None, prefix: bool = False) -> ParsedQuery:
    """Understand a shopper's query. `prefix` makes the last word match as typed so far
    (autocomplete). Never raises on any input."""
    knowledge = knowledge or QueryKnowledge()
    text = normalize(raw)
    text, low, high = extract_price(text, cheap_max=knowledge.cheap_max)
    words = words_of(text)
    meaningful = [word for word in words if word not in STOPWORDS]
    words = (meaningful or words)[:MAX_TERMS]

    attributes: dict[str, list[str]] = {}
    intent_words: tuple[str, ...] = ()
    attribute_spans = _match_phrases(words, knowledge.attribute_values)
    # A query made only of attribute words ("red") stays a text search as well.
    if attribute_spans and sum(end - start for start, end in attribute_spans) < len(words):
        for start, end in attribute_spans:
            attribute, value = _lookup(words[start:end], knowledge.attribute_values)  # type: ignore[misc]
            attributes.setdefault(attribute, [])
            if value not in attributes[attribute]:
                attributes[attribute].append(value)
        dropped = {index for start, end in attribute_spans for index in range(start, end)}
        intent_words = tuple(words[index] for index in sorted(dropped))
        words = [word for index, word in enumerate(words) if index not in dropped]

    categories: list[str] = []
    for start, end in _match_phrases(words, knowledge.categories):
        slug = _lookup(words[start:end], knowledge.categories)
        if slug not in categories:
            categories.append(str(slug))

    terms = []
    for index, word in enumerate(words):
        alternatives = knowledge.synonyms.get(word) or knowledge.synonyms.get(singular(word)) or ()
        is_last = index == len(words) - 1
        terms.append(Term(word=word, alternatives=tuple(alternatives), prefix=prefix and is_last))
    return ParsedQuery(
        raw=raw[:MAX_QUERY_CHARS],
        terms=tuple(terms),
        min_price=low,
        max_price=high,
        attributes={name: tuple(values) for name, values in attributes.items()},
        categories=tuple(categories),
        intent_words=intent_words,
    )


def with_compounds(
    query: ParsedQuery, splits: dict[str, str], joins: dict[tuple[str, str], str]
) -> ParsedQuery:
    """The query with compounds read both ways: a word in `splits` also matches its two
    words as a phrase ("lunchbox" finds "Lunch Box"), and two neighbouring words whose
    join is in `joins` become one term matching the joined word or the phrase ("lunch box"
    finds "Lunchbox")."""
    if not splits and not joins:
        return query
    terms: list[Term] = []
    index = 0
    while index < len(query.terms):
        term = query.terms[index]
        following = query.terms[index + 1] if index + 1 < len(query.terms) else None
        pair = (term.word, following.word) if following is not None else None
        if pair in joins and following is not None and not following.prefix:
            phrase = f"{term.word} {following.word}"
            terms.append(Term(word=joins[pair], alternatives=(phrase,)))
            index += 2
            continue
        if term.word in splits and not term.prefix and splits[term.word] not in term.alternatives:
            term = Term(word=term.word, alternatives=(*term.alternatives, splits[term.word]))
        terms.append(term)
        index += 1
    return replace(query, terms=tuple(terms))


def is_partial_match_worthy(query: ParsedQuery) -> bool:
    """Whether matching only some of the words means anything: two or more words, and no
    character pairs of Chinese or Japanese (one pair of a longer word is not a word)."""
    return len(query.terms) > 1 and not any(_UNSPACED_RE.search(term.word) for term in query.terms)


def without_intent_filters(query: ParsedQuery) -> ParsedQuery:
    """The query with the attribute words searched as text instead of filtering by them;
    price phrases stay filters."""
    if not query.attributes:
        return query
    restored = tuple(Term(word=word) for word in query.intent_words)
    return replace(query, attributes={}, terms=query.terms + restored, intent_words=())


def with_corrections(
    query: ParsedQuery, corrections: dict[str, str], knowledge: QueryKnowledge
) -> ParsedQuery:
    """The query with misspelt words replaced (and their synonyms looked up again)."""
    if not corrections:
        return query
    terms = []
    for term in query.terms:
        word = corrections.get(term.word, term.word)
        if word == term.word:
            terms.append(term)
            continue
        alternatives = knowledge.synonyms.get(word) or knowledge.synonyms.get(singular(word)) or ()
        terms.append(Term(word=word, alternatives=tuple(alternatives), prefix=False))
    return replace(query, terms=tuple(terms), corrections={**query.corrections, **corrections})


def relaxations(query: ParsedQuery) -> list[tuple[ParsedQuery, str]]:
    """Looser forms of a query to try, in order, when it finds nothing, each with a note
    for the shopper: first without the filters the words implied, then any word matching."""
    steps: list[tuple[ParsedQuery, str]] = []
    current = query
    if query.attributes or query.min_price is not None or query.max_price is not None:
        restored = tuple(Term(word=word) for word in query.intent_words)
        current = replace(query, attributes={}, min_price=None, max_price=None, terms=query.terms + restored)
        current = replace(current, intent_words=())
        note = "Nothing matched the price or attributes you asked for; showing close matches."
        steps.append((current, note))
    if len(current.terms) > 1:
        steps.append(
            (replace(current, match_any=True), "No product matches every word; showing ones that match some.")
        )
    return steps


def synonym_map(groups: list[list[str]]) -> dict[str, tuple[str, ...]]:
    """{word: other words of its groups} from synonym groups, normalised."""
    mapping: dict[str, list[str]] = {}
    for group in groups:
        cleaned = [" ".join(words_of(normalize(word))) for word in group]
        cleaned = [word for word in cleaned if word]
        for word in cleaned:
            others = mapping.setdefault(word, [])
            others.extend(other for other in cleaned if other != word and other not in others)
    return {word: tuple(others) for word, others in mapping.items() if others}
