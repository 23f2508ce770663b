"""Ranking metrics over one query's ranked product codes and its graded labels.

`ranked` is the result list best first (a code seen again further down is ignored);
`grades` maps product codes to 0, 1 or 2, a missing code being 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from shopstack.search.eval.dataset import RELEVANT


def _unique(ranked: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(ranked))


def dcg(gains: Sequence[int], k: int) -> float:
    """Discounted cumulative gain of the first k gains: gain / log2(position + 1)."""
    return sum(gain / math.log2(position + 2) for position, gain in enumerate(gains[:k]))


def ndcg_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10) -> float:
    """DCG@k of the ranking divided by the DCG@k of the best possible ranking of the labels
    (linear gain = grade). 0.0 when no product is relevant."""
    ideal = dcg(sorted(grades.values(), reverse=True), k)
    if ideal == 0:
        return 0.0
    return dcg([grades.get(code, 0) for code in _unique(ranked)], k) / ideal


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int]) -> float:
    """1 / position of the first result with grade >= 1; 0.0 when none is in the list."""
    for position, code in enumerate(_unique(ranked), start=1):
        if grades.get(code, 0) >= RELEVANT:
            return 1.0 / position
    return 0.0


def recall_at_k(ranked: Sequence[str], grades: Mapping[str, int], k: int = 100) -> float:
    """Share of the products with grade >= 1 that are in the first k results."""
    relevant = {code for code, grade in grades.items() if grade >= RELEVANT}
    if not relevant:
        return 0.0
    return len(relevant.intersection(_unique(ranked)[:k])) / len(relevant)
