"""The BM25 baseline: plain word matching with stemming, nothing more."""

from decimal import Decimal

from shopstack.search.eval.baseline import Bm25Baseline
from shopstack.search.eval.dataset import EvalProduct


def product(code, title, description=""):
    return EvalProduct(
        code=code, skus=(code,), title=title, description=description, category="", price=Decimal(1)
    )


PRODUCTS = [
    product("holder", "White Hanging Heart T-Light Holder", "A holder for tea lights."),
    product("candles", "Box of 9 Pebble Candles", "Candles shaped like pebbles."),
    product("mug", "Red Retrospot Mug", "A red mug."),
    product("plate", "Red Retrospot Plate", "A red plate."),
]


def test_ranks_by_shared_stemmed_words_and_leaves_out_the_rest():
    baseline = Bm25Baseline(PRODUCTS)
    assert baseline.rank("candle") == ["candles"]  # "candles" stems to "candl" like "candle"
    assert baseline.rank("red mug")[0] == "mug"
    assert set(baseline.rank("red mug")) == {"mug", "plate"}


def test_no_query_understanding():
    baseline = Bm25Baseline(PRODUCTS)
    assert baseline.rank("candel") == []  # no typo tolerance
    assert baseline.rank("the of and") == []  # only stop words
    assert baseline.rank("mugs under 5") == ["mug"]  # the price phrase is just words
    assert len(baseline.rank("red", depth=1)) == 1
