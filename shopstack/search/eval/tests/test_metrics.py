"""The metrics on examples worked out by hand."""

import math

import pytest

from shopstack.search.eval.metrics import dcg, ndcg_at_k, recall_at_k, reciprocal_rank

GRADES = {"a": 0, "b": 2, "c": 1, "d": 2}


def test_dcg_discounts_by_log2_of_position_plus_one():
    # 2/log2(2) + 1/log2(3) + 2/log2(4) = 2 + 0.63093 + 1
    assert dcg([2, 1, 2], 10) == pytest.approx(3.63093, abs=1e-5)
    assert dcg([2, 1, 2], 1) == 2


def test_ndcg_of_a_known_ranking():
    # ranking a(0) b(2) c(1): 0 + 2/log2(3) + 1/log2(4) = 1.76186
    # ideal d(2) b(2) c(1) a(0): 2 + 2/log2(3) + 1/log2(4) = 3.76186
    assert ndcg_at_k(["a", "b", "c"], GRADES, 10) == pytest.approx(1.76186 / 3.76186, abs=1e-5)
    assert ndcg_at_k(["a", "b", "c"], GRADES, 10) == pytest.approx(0.46835, abs=1e-5)


def test_ndcg_is_one_for_the_ideal_order_and_zero_without_hits():
    assert ndcg_at_k(["d", "b", "c", "a"], GRADES) == pytest.approx(1.0)
    assert ndcg_at_k(["b", "d", "c"], GRADES) == pytest.approx(1.0)  # equal grades may swap
    assert ndcg_at_k([], GRADES) == 0.0
    assert ndcg_at_k(["x", "y"], GRADES) == 0.0
    assert ndcg_at_k(["a"], {"a": 0}) == 0.0  # nothing relevant: defined as 0


def test_ndcg_counts_only_the_first_k_and_each_product_once():
    filler = [f"x{i}" for i in range(10)]
    assert ndcg_at_k([*filler, "b"], GRADES, 10) == 0.0
    # a repeated product does not earn its gain twice
    assert ndcg_at_k(["c", "c"], GRADES, 10) == pytest.approx(1 / (2 + 2 / math.log2(3) + 0.5))


def test_reciprocal_rank_is_one_over_the_first_relevant_position():
    assert reciprocal_rank(["a", "x", "c"], GRADES) == pytest.approx(1 / 3)
    assert reciprocal_rank(["b"], GRADES) == 1.0
    assert reciprocal_rank(["a", "x"], GRADES) == 0.0
    assert reciprocal_rank(["x", "x", "c"], GRADES) == pytest.approx(1 / 2)


def test_recall_is_the_share_of_relevant_products_found_in_the_first_k():
    assert recall_at_k(["b", "z", "c"], GRADES, 100) == pytest.approx(2 / 3)
    assert recall_at_k(["b", "z", "c"], GRADES, 1) == pytest.approx(1 / 3)
    assert recall_at_k(["a"], GRADES, 100) == 0.0
    assert recall_at_k(["b", "c", "d"], GRADES, 100) == 1.0
    assert recall_at_k(["b"], {"a": 0}, 100) == 0.0
