"""`python -m shopstack.search.eval`: a bad set stops `run` before any database work,
and `label` rewrites labels.csv from the intents."""

from shopstack.search.eval.__main__ import main


def test_run_refuses_a_malformed_set_with_its_reason(tmp_path, capsys):
    (tmp_path / "products.csv").write_text("sku,title\nA,Mug\n", encoding="utf-8")
    assert main(["run", "--dataset", str(tmp_path), "--output", str(tmp_path / "out.md")]) == 2
    assert "the header lacks column(s) price" in capsys.readouterr().err
    assert not (tmp_path / "out.md").exists()


def test_label_writes_labels_from_the_intents(tmp_path, capsys):
    (tmp_path / "products.csv").write_text("sku,title,price\nA,Red Mug,3\nB,Plate,1\n", encoding="utf-8")
    (tmp_path / "queries.csv").write_text("query_id,query,kind\nq1,mug,category\n", encoding="utf-8")
    (tmp_path / "intents.csv").write_text(
        "query_id,need,head,category,min_price,max_price,exclude\nq1,mug,,,,,\n", encoding="utf-8"
    )
    assert main(["label", str(tmp_path)]) == 0
    assert (tmp_path / "labels.csv").read_text().splitlines() == ["query_id,sku,grade", "q1,A,2"]
    assert "1 labels" in capsys.readouterr().out


def test_label_refuses_a_set_without_intents(tmp_path, capsys):
    (tmp_path / "products.csv").write_text("sku,title,price\nA,Red Mug,3\n", encoding="utf-8")
    (tmp_path / "queries.csv").write_text("query_id,query,kind\nq1,mug,category\n", encoding="utf-8")
    assert main(["label", str(tmp_path)]) == 2
    assert "intents.csv: missing" in capsys.readouterr().err
