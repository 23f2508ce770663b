"""The labelling rule, applied to titles without any search engine."""

from decimal import Decimal

import pytest

from shopstack.search.eval.dataset import DatasetError, EvalProduct
from shopstack.search.eval.judging import Intent, labels_build, labels_write, parse_concepts


def product(title, price="2.00", category="Home > Candles & lights", aliases=()):
    return EvalProduct(
        code=title, skus=(title,), title=title, description="", category=category,
        price=Decimal(price), aliases=aliases,
    )  # fmt: skip


def intent(need, head="", category="", low=None, high=None, exclude=""):
    return Intent(
        need=parse_concepts(need),
        head=parse_concepts(head) or parse_concepts(need),
        categories=frozenset(c.strip().lower() for c in category.split("|") if c.strip()),
        min_price=None if low is None else Decimal(low),
        max_price=None if high is None else Decimal(high),
        exclude=parse_concepts(exclude),
    )


HEADER = "query_id,need,head,category,min_price,max_price,exclude\n"
CANDLE_HOLDER = intent("candle|t light|tealight; holder", head="candle|t light|tealight", high="3")


def test_every_need_concept_and_the_price_make_grade_2():
    assert CANDLE_HOLDER.grade(product("White Hanging Heart T-Light Holder", "2.95")) == 2
    assert CANDLE_HOLDER.grade(product("Glass Candle Holders", "1.00")) == 2  # plural of holder


def test_the_head_alone_or_a_price_outside_the_range_make_grade_1():
    assert CANDLE_HOLDER.grade(product("Box of 9 Pebble Candles")) == 1
    assert CANDLE_HOLDER.grade(product("Set/3 Tall Glass Candle Holder", "25.49")) == 1


def test_words_must_be_whole_and_phrases_in_order():
    assert CANDLE_HOLDER.grade(product("Light Holder T Shirt")) == 0  # "t light" not in order
    assert CANDLE_HOLDER.grade(product("Candlestick Placeholder")) == 0  # not whole words
    assert intent("cake case").grade(product("Pack of 72 Retrospot Cake Cases")) == 2
    assert intent("lunch box").grade(product("Lunch Box with Cutlery")) == 2


def test_the_category_gives_grade_1_and_exclude_gives_0():
    candles = intent("candle", category="Candles & lights")
    assert candles.grade(product("Moroccan Lantern")) == 1
    assert candles.grade(product("Moroccan Lantern", category="Home > Garden")) == 0
    rings = intent("ring", exclude="key ring|keyring")
    assert rings.grade(product("Silver Ring")) == 2
    assert rings.grade(product("Heart Key Ring")) == 0


def test_aliases_count_as_the_title():
    assert intent("bracelet").grade(product("Pearl Braclet", aliases=("Pearl Bracelet",))) == 2


def write(folder, name, text):
    (folder / name).write_text(text, encoding="utf-8")


@pytest.fixture
def labelled_set(tmp_path):
    write(tmp_path, "products.csv", "sku,title,price,category\nA,Red Mug,3.00,Kitchen > Tableware\n"
          "B,Blue Mug,6.00,Kitchen > Tableware\nC,Red Plate,1.00,Kitchen > Tableware\n"
          "D,Mug Tree,2.00,Home > Storage\n")  # fmt: skip
    write(tmp_path, "queries.csv", "query_id,query,kind\nq1,mugs under 5,price\nq2,red,attribute\n")
    write(
        tmp_path,
        "intents.csv",
        HEADER + "q1,mug,,Tableware,,5,mug tree\nq2,red,,,,,\n",
    )
    return tmp_path


def test_labels_follow_the_rule_and_the_corrections(labelled_set):
    assert labels_build(labelled_set) == [
        ("q1", "A", 2), ("q1", "B", 1), ("q1", "C", 1), ("q2", "A", 2), ("q2", "C", 2),
    ]  # fmt: skip
    corrections = "query_id,sku,grade,reason\nq2,C,0,It is a plate\nq2,B,1,Blueish red\n"
    write(labelled_set, "corrections.csv", corrections)
    assert labels_write(labelled_set) == 5
    written = (labelled_set / "labels.csv").read_text().splitlines()
    assert written == ["query_id,sku,grade", "q1,A,2", "q1,B,1", "q1,C,1", "q2,A,2", "q2,B,1"]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("corrections.csv", "query_id,sku,grade,reason\nq2,C,0,\n", "every correction needs a reason"),
        ("corrections.csv", "query_id,sku,grade,reason\nq2,Z,0,why\n", "unknown query_id or sku"),
        ("intents.csv", HEADER + "q1,mug,,,,,\n", "no intent for q2"),
        ("intents.csv", HEADER + "q1,,,,,,\nq2,red,,,,,\n",
         "give need concepts or a category"),
        ("intents.csv", HEADER + "q1,mug,,,,five,\nq2,red,,,,,\n",
         "'five' is not a price"),
    ],
)  # fmt: skip
def test_bad_intents_and_corrections_are_refused(labelled_set, name, text, message):
    write(labelled_set, name, text)
    with pytest.raises(DatasetError, match=message):
        labels_build(labelled_set)
