"""Spelling: how far apart two words are, which misspelt word a catalog word is likely
meant by, and how a run-together word may split into two. Pure functions; the candidates
(index words with their frequencies) come from the caller."""

from __future__ import annotations

from shopstack.search.query import is_unspaced_script

# Compounds worth splitting: two words of 3+ letters, and not a long run of letters (each cut
# is two vocabulary look-ups; real two-word compounds are far shorter than 24 letters).
MIN_COMPOUND = 6
MAX_COMPOUND = 24


def edit_distance(a: str, b: str, *, limit: int = 3) -> int:
    """Optimal string alignment distance (a swap of neighbours counts one), capped at `limit`."""
    if abs(len(a) - len(b)) >= limit:
        return limit
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) >= limit:
            return limit
        previous2, previous = previous, current
    return min(previous[-1], limit)


def allowed_typos(word: str) -> int:
    """How many edits a word of this length may carry: none below 4 letters, one to 7, then two."""
    if len(word) < 4 or word.isdigit():
        return 0
    return 1 if len(word) <= 7 else 2


def best_correction(word: str, candidates: list[tuple[str, int]]) -> str | None:
    """The likeliest intended word among (term, frequency) candidates: fewest edits, then
    most used. None if no candidate is close enough.

    Close enough means: the same first letter (a slip of the first letter is rare, and a
    guess there jumps to another word: "warm" -> "farm"), and no more edits than the
    shorter of the two words allows (so a 4-letter word is not cut to a 3-letter one:
    "warm" -> "war")."""
    if allowed_typos(word) == 0:
        return None
    best: tuple[int, int, str] | None = None
    for term, frequency in candidates:
        if term == word:
            return None
        if not term or term[0] != word[0]:
            continue
        budget = min(allowed_typos(word), allowed_typos(term))
        if budget == 0:
            continue
        distance = edit_distance(word, term, limit=budget + 1)
        if distance <= budget:
            key = (distance, -frequency, term)
            if best is None or key < best:
                best = key
    return best[2] if best else None


def compound_splits(word: str) -> list[tuple[str, str]]:
    """Ways to read `word` as two words ("lunchbox" -> ("lunch", "box")), each part at least
    3 letters, the most even split first (the likelier reading when several are words)."""
    if not MIN_COMPOUND <= len(word) <= MAX_COMPOUND or not word.isalpha() or is_unspaced_script(word):
        return []
    cuts = sorted(range(3, len(word) - 2), key=lambda cut: (abs(len(word) - 2 * cut), cut))
    return [(word[:cut], word[cut:]) for cut in cuts]
