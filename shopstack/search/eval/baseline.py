"""The yardstick: plain BM25 over each product's title and description, with no query
understanding at all (no typo correction, no price or attribute phrases, no synonyms,
no popularity). Words are lower-cased runs of letters and digits, English stop words
are dropped and the rest stemmed with the Snowball English stemmer, on both sides.

Scoring is bm25s's Lucene variant (k1 = 1.5, b = 0.75): a maintained, tested library,
so the baseline is the textbook formula rather than our own reading of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from shopstack.search.eval.dataset import EvalProduct

_WORD_RE = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(STOPWORDS_EN)


class Bm25Baseline:
    """Rank the products of a judgement set for a query by BM25 alone."""

    def __init__(self, products: Sequence[EvalProduct]) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._codes = [product.code for product in products]
        corpus = [self.tokens(f"{product.title} {product.description}") for product in products]
        self._index = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
        self._index.index(corpus, show_progress=False)

    def tokens(self, text: str) -> list[str]:
        words = [word for word in _WORD_RE.findall(text.lower()) if word not in _STOPWORDS]
        return self._stemmer.stemWords(words)  # type: ignore[no-any-return]

    def rank(self, text: str, depth: int = 100) -> list[str]:
        """Product codes of the best `depth` matches, best first; products that share no
        word with the query are not results."""
        words = [word for word in self.tokens(text) if word in self._index.vocab_dict]
        if not words:
            return []
        scores = self._index.get_scores(words)
        order = np.argsort(-scores, kind="stable")[:depth]
        return [self._codes[i] for i in order if scores[i] > 0]
