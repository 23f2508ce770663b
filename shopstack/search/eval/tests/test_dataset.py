"""The judgement set loader: reads a good set, refuses malformed files with where and why."""

from decimal import Decimal

import pytest

from shopstack.search.eval.dataset import DatasetError, dataset_load

PRODUCTS = (
    "sku,product_code,title,description,category,price\n"
    "C1,CANDLE,Pink Candle,,Home > Candles,1.50\n"
    "C1-L,CANDLE,,,,1.25\n"
    "M1,,Red Mug,A mug,Kitchen > Mugs,3.00\n"
)
QUERIES = "query_id,query,kind\nq1,candel,typo\nq2,red mug,attribute\n"
LABELS = "query_id,sku,grade\nq1,C1,2\nq1,C1-L,1\nq2,M1,2\nq2,C1,0\n"


def write_set(folder, products=PRODUCTS, queries=QUERIES, labels=LABELS):
    folder.mkdir(exist_ok=True)
    for name, text in (("products.csv", products), ("queries.csv", queries), ("labels.csv", labels)):
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_good_set_is_read_with_grades_per_product(tmp_path):
    dataset = dataset_load(write_set(tmp_path / "set"))
    assert set(dataset.products) == {"CANDLE", "M1"}
    candle = dataset.products["CANDLE"]
    assert candle.skus == ("C1", "C1-L")
    assert candle.price == Decimal("1.25")  # the cheapest variant
    assert candle.category == "Home > Candles"
    assert [q.query_id for q in dataset.queries] == ["q1", "q2"]
    assert dataset.grades == {"q1": {"CANDLE": 2}, "q2": {"M1": 2, "CANDLE": 0}}
    assert dataset.sku_to_code == {"C1": "CANDLE", "C1-L": "CANDLE", "M1": "M1"}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"products": None}, "products.csv: missing"),
        ({"products": "sku,title\nA,B\n"}, "the header lacks column(s) price"),
        ({"products": "sku,title,price\n,Mug,1\n"}, "products.csv:2: sku is empty"),
        ({"products": "sku,title,price\nA,Mug,1\nA,Mug,2\n"}, "sku 'A' appears twice"),
        ({"products": "sku,title,price\nA,,1\n"}, "title is empty on the first row of product 'A'"),
        ({"products": "sku,title,price\nA,Mug,cheap\n"}, "price 'cheap' is not a number"),
        ({"products": "sku,title,price\nA,Mug,-1\n"}, "must be 0 or more with at most 2 decimal places"),
        ({"products": "sku,title,price\nA,Mug,1.001\n"}, "must be 0 or more with at most 2 decimal places"),
        ({"products": "sku,title,price\nA,Mug,1,extra\n"}, "more values than header columns"),
        ({"products": "sku,title,price\n"}, "products.csv: no products"),
        ({"queries": "query_id,query\nq1,mug\n"}, "the header lacks column(s) kind"),
        ({"queries": "query_id,query,kind\nq1,,typo\n"}, "query 'q1' has no text"),
        ({"queries": "query_id,query,kind\nq1,mug,typo\nq1,cup,typo\n"}, "query_id 'q1' appears twice"),
        ({"queries": "query_id,query,kind\nq1,mug,two words\n"}, "kind 'two words' must be one word"),
        ({"labels": "query_id,sku,grade\nq1,C1,3\n"}, "labels.csv:2: grade '3' must be 0, 1 or 2"),
        ({"labels": "query_id,sku,grade\nq1,C1,high\n"}, "grade 'high' must be 0, 1 or 2"),
        ({"labels": "query_id,sku,grade\nq9,C1,2\n"}, "query_id 'q9' is not in queries.csv"),
        ({"labels": "query_id,sku,grade\nq1,NOPE,2\n"}, "sku 'NOPE' is not in products.csv"),
        ({"labels": "query_id,sku,grade\nq1,C1,2\nq1,C1,1\nq2,M1,2\n"}, "(q1, C1) is labelled twice"),
        ({"labels": "query_id,sku,grade\nq1,C1,2\nq2,M1,0\n"}, "no product has grade 1 or 2 for query q2"),
        ({"labels": 'query_id,sku,grade\nq1,"C1\n'}, "not valid CSV"),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(tmp_path, files, message):
    texts = {"products": PRODUCTS, "queries": QUERIES, "labels": LABELS, **files}
    folder = write_set(tmp_path / "set", texts["products"], texts["queries"], texts["labels"])
    with pytest.raises(DatasetError) as caught:
        dataset_load(folder)
    assert message in str(caught.value)


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    folder = write_set(tmp_path / "set")
    (folder / "queries.csv").write_bytes("query_id,query,kind\nq1,caf\xe9,typo\n".encode("latin-1"))
    with pytest.raises(DatasetError, match=r"queries\.csv: not UTF-8"):
        dataset_load(folder)


def test_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="not a folder"):
        dataset_load(tmp_path / "nothing")
