"""Throwaway: tantivy (tantivy-py) against SQLite FTS5 as bare engines, on a synthetic catalog.

Not a backend and not part of `make bench`: issue 5 asks whether an embedded library engine
measures clearly better than FTS5. Both index the same five fields of the same products with
the same weights (title 10, aliases 6, attributes 6, categories 3, description 1, English
stemming) and answer the same words with the best 24 by BM25 plus the number of matches. No
filters, facets, popularity or query understanding: the engines alone.

    uv venv /tmp/tantivy-venv && uv pip install --python /tmp/tantivy-venv/bin/python tantivy
    /tmp/tantivy-venv/bin/python bench/tantivy_compare.py var/bench-search/catalog-100k.csv

tantivy is deliberately not a project dependency.
"""

from __future__ import annotations

import csv
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import tantivy  # type: ignore[import-not-found]

FIELDS = ("title", "aliases", "attributes", "categories", "description")
BOOSTS = {"title": 10.0, "aliases": 6.0, "attributes": 6.0, "categories": 3.0, "description": 1.0}
QUERIES = (
    "candle", "heart", "bag", "christmas", "mug", "cushion", "glass candle holder",
    "hanging heart light holder", "lunch box", "vintage tea set", "wooden christmas decoration",
    "red mug", "blue glass vase", "pink bag", "wooden box", "set", "gifts", "retrospot",
)  # fmt: skip
REPS = 5


def products(path: Path) -> list[tuple[int, dict[str, str]]]:
    found = []
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate((r for r in csv.DictReader(handle) if r["title"]), start=1):
            found.append(
                (
                    number,
                    {
                        "title": row["title"],
                        "aliases": " ; ".join(row["aliases"].split("|")),
                        "attributes": " ; ".join(v for v in (row["color"], row["material"]) if v),
                        "categories": " ; ".join(row["category"].split(" > ")),
                        "description": row["description"],
                    },
                )
            )
    return found


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def fts5(docs: list[tuple[int, dict[str, str]]], where: Path) -> tuple[float, Callable[[str], object], int]:
    db = sqlite3.connect(where / "fts.sqlite3")
    started = time.perf_counter()
    tokenizer = "porter unicode61 remove_diacritics 2"
    db.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(FIELDS)}, tokenize = '{tokenizer}')")
    db.executemany(
        f"INSERT INTO t(rowid, {', '.join(FIELDS)}) VALUES (?, ?, ?, ?, ?, ?)",
        [(number, *(doc[f] for f in FIELDS)) for number, doc in docs],
    )
    db.commit()
    seconds = time.perf_counter() - started
    weights = ", ".join(str(BOOSTS[f]) for f in FIELDS)

    def search(text: str) -> object:
        expression = " AND ".join(f'"{word}"' for word in text.split())
        top = db.execute(
            f"SELECT rowid FROM t WHERE t MATCH ? ORDER BY bm25(t, {weights}) LIMIT 24", [expression]
        ).fetchall()
        total = db.execute("SELECT COUNT(*) FROM t WHERE t MATCH ?", [expression]).fetchone()[0]
        return top, total

    size = sum(p.stat().st_size for p in where.glob("fts.sqlite3*"))
    return seconds, search, size


def tantivy_engine(
    docs: list[tuple[int, dict[str, str]]], where: Path
) -> tuple[float, Callable[[str], object], int]:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True)
    for name in FIELDS:
        builder.add_text_field(name, stored=False, tokenizer_name="en_stem")
    schema = builder.build()
    directory = where / "tantivy"
    directory.mkdir()
    index = tantivy.Index(schema, path=str(directory))
    started = time.perf_counter()
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for number, doc in docs:
        writer.add_document(tantivy.Document(id=number, **doc))
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - started
    index.reload()
    searcher = index.searcher()

    def search(text: str) -> object:
        query = index.parse_query(" AND ".join(text.split()), list(FIELDS), field_boosts=BOOSTS)
        result = searcher.search(query, 24, count=True)
        return result.hits, result.count

    size = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())
    return seconds, search, size


def main(path: Path) -> None:
    docs = products(path)
    print(f"{len(docs):,} products from {path}")
    where = Path(tempfile.mkdtemp(prefix="tantivy-compare-"))
    try:
        for name, build in (("SQLite FTS5", fts5), ("tantivy", tantivy_engine)):
            seconds, search, size = build(docs, where)
            for text in QUERIES:  # warm
                search(text)
            times = [
                timed(lambda text=text, search=search: search(text)) for _ in range(REPS) for text in QUERIES
            ]
            print(
                f"{name}: index {seconds:.1f} s ({len(docs) / seconds:,.0f} docs/s), {size / 1e6:.1f} MB;"
                f" top 24 + count: p50 {statistics.median(times):.2f} ms, p95 {p95(times):.2f} ms"
            )
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
