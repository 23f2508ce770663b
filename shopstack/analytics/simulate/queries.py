"""What simulated visitors search for: words and word pairs from the product names, each with
the products whose names hold all its words (its results), and real words the catalogue has
nothing for (searches that find nothing)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from shopstack.analytics.simulate.history import Catalog

_WORD = re.compile(r"[a-z]{3,}")
_STOP_WORDS = frozenset({"and", "the", "for", "with", "set", "of", "in", "pack", "assorted", "design"})
# Things people look for in a shop like this one that a gift catalogue may well not sell.
NOT_SOLD = (
    "laptop", "headphones", "trainers", "bicycle", "perfume", "jeans", "printer", "guitar",
    "sofa", "mattress", "drill", "vacuum", "charger", "umbrella stand", "wetsuit", "skateboard",
    "sunglasses", "wallpaper", "aquarium", "lawnmower", "kettle descaler", "football boots",
    "hair dryer", "yoga mat", "dog bed", "tent", "microwave", "hoodie", "smartwatch", "barbecue",
)  # fmt: skip


@dataclass(frozen=True)
class Queries:
    """Queries 0..n-1: texts, result counts, weights (how often each is searched) and the
    products found (CSR: the results of query q are products[start[q]:start[q + 1]])."""

    texts: list[str]
    result_count: np.ndarray  # int32
    weight: np.ndarray  # float64, sums to 1 over queries with results
    start: np.ndarray  # int64
    products: np.ndarray  # int32: catalogue indices
    zero_result: np.ndarray  # int32: indices of queries that find nothing

    @property
    def found(self) -> np.ndarray:
        return np.flatnonzero(self.result_count > 0)


def words_of(name: str) -> list[str]:
    return [word for word in _WORD.findall(name.lower()) if word not in _STOP_WORDS]


def queries_build(catalog: Catalog, popularity: np.ndarray) -> Queries:
    """Queries from the product names: each name's last word (usually what the thing is,
    "holder", "lantern") and its last two words ("light holder"). A query is searched as often
    as the products it came from are popular, and finds every product whose name has all its
    words."""
    product_words = [set(words_of(name)) for name in catalog.names]
    having: dict[str, set[int]] = defaultdict(set)
    for product, words in enumerate(product_words):
        for word in words:
            having[word].add(product)
    weights: dict[str, float] = defaultdict(float)
    for product, name in enumerate(catalog.names):
        ordered = words_of(name)
        for query in {" ".join(ordered[-1:]), " ".join(ordered[-2:])} - {""}:
            weights[query] += float(popularity[product])
    texts = sorted(weights)
    found = [sorted(set.intersection(*(having[word] for word in text.split()))) for text in texts]
    missing = [text for text in NOT_SOLD if not any(word in having for word in text.split())]
    counts = [len(products) for products in found] + [0] * len(missing)
    weight = np.array([weights[text] for text in texts] + [0.0] * len(missing), dtype=np.float64)
    if weight.sum() > 0:
        weight /= weight.sum()
    flat = [product for products in found for product in products]
    return Queries(
        texts=texts + missing,
        result_count=np.array(counts, dtype=np.int32),
        weight=weight,
        start=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        products=np.array(flat, dtype=np.int32),
        zero_result=np.arange(len(texts), len(texts) + len(missing), dtype=np.int32),
    )
