"""A whole evaluation on a tiny set: import_catalog, the index, the public search API,
the baseline and the report, in the test database (run on both tiers)."""

import pytest

from shopstack.catalog.models import Product
from shopstack.search.eval.dataset import dataset_load
from shopstack.search.eval.report import report_markdown, summary
from shopstack.search.eval.runner import EvalError, evaluate

PRODUCTS = """\
sku,title,description,category,price,color,units_sold
H1,White Hanging Heart T-Light Holder,A heart with a tea light.,Home > Candles & lights,2.95,White,900
C1,Pebble Candle,A candle shaped like a pebble.,Home > Candles & lights,1.95,,40
M1,Red Retrospot Mug,A red spotted mug.,Kitchen > Tableware,2.95,Red,300
M2,Blue Polkadot Mug,A blue spotted mug.,Kitchen > Tableware,7.50,Blue,100
P1,Red Retrospot Plate,A red spotted plate.,Kitchen > Tableware,1.25,Red,50
"""
QUERIES = "query_id,query,kind\nq1,candel,typo\nq2,mugs under 5,price\nq3,red retrospot plate,exact\n"
LABELS = "query_id,sku,grade\nq1,C1,2\nq1,H1,1\nq2,M1,2\nq2,M2,1\nq3,P1,2\nq3,M1,1\n"


@pytest.fixture
def tiny_set(tmp_path):
    for name, text in (("products.csv", PRODUCTS), ("queries.csv", QUERIES), ("labels.csv", LABELS)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    return dataset_load(tmp_path)


@pytest.mark.django_db(transaction=True)
def test_a_tiny_set_is_imported_searched_through_the_api_and_scored(tiny_set):
    run = evaluate(tiny_set)

    assert Product.objects.count() == 5  # import_catalog wrote the set
    by_id = {result.query.query_id: result for result in run.results}
    # The typo: our search corrects it, BM25 has no word in common with any product.
    assert by_id["q1"].ours[0] == "C1"
    assert by_id["q1"].ours_scores.mrr == 1.0
    assert by_id["q1"].baseline == []
    assert by_id["q1"].baseline_scores.as_tuple() == (0.0, 0.0, 0.0)
    # The price phrase: the API understood it as a filter, so the £7.50 mug is not a result.
    assert by_id["q2"].ours == ["M1"]
    assert "price -5.00" in by_id["q2"].understood
    assert by_id["q2"].ours_scores.recall == 0.5
    assert set(by_id["q2"].baseline) == {"M1", "M2"}  # BM25 ignores the price
    # The exact name comes first for both.
    assert by_id["q3"].ours[0] == "P1"
    assert by_id["q3"].baseline[0] == "P1"
    assert by_id["q3"].baseline[:2] == ["P1", "M1"]
    assert by_id["q3"].baseline_scores.ndcg == pytest.approx(1.0)

    table = summary(run)
    assert set(table) == {"all", "typo", "price", "exact"}
    text = report_markdown(run)
    assert "| **all** | 3 |" in text
    assert "| q1 | typo | candel |" in text


@pytest.mark.django_db(transaction=True)
def test_an_import_that_fails_stops_the_evaluation(tmp_path, tiny_set):
    (tmp_path / "products.csv").write_text("sku,title,price\nH1,Heart,-3\n", encoding="utf-8")
    with pytest.raises(EvalError, match="import_catalog refused"):
        evaluate(tiny_set)
