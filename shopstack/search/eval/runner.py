"""Run a judgement set against the shop's search: import the products with
`import_catalog`, rebuild the index, send every query to `GET /api/v1/search` (in-process,
through Django's test client, so the whole API stack runs: parsing, query understanding,
ranking, paging) and score the ranking next to the BM25 baseline's.

`evaluate` works in whatever database is current (the tests' database); `evaluate_fresh`
makes a new empty one first and drops it afterwards, as `make eval-search` does.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings

from shopstack.catalog.models import ProductVariant
from shopstack.core.runtime import settle_heap
from shopstack.search.eval.baseline import Bm25Baseline
from shopstack.search.eval.dataset import Dataset, EvalQuery
from shopstack.search.eval.metrics import ndcg_at_k, recall_at_k, reciprocal_rank
from shopstack.search.indexing import search_backend

SEARCH_URL = "/api/v1/search"
DEPTH = 100  # recall@100 needs the first 100 results
PAGE_SIZE = 50  # below the API's maximum, so the paging itself is exercised
METRICS = ("ndcg@10", "mrr", "recall@100")


class EvalError(RuntimeError):
    """The evaluation could not run (import refused, API error)."""


@dataclass(frozen=True)
class Scores:
    ndcg: float
    mrr: float
    recall: float

    @classmethod
    def of(cls, ranked: list[str], grades: dict[str, int]) -> Scores:
        return cls(
            ndcg=ndcg_at_k(ranked, grades, 10),
            mrr=reciprocal_rank(ranked, grades),
            recall=recall_at_k(ranked, grades, DEPTH),
        )

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.ndcg, self.mrr, self.recall)


@dataclass(frozen=True)
class QueryResult:
    query: EvalQuery
    ours: list[str]  # product codes, best first
    baseline: list[str]
    ours_scores: Scores
    baseline_scores: Scores
    understood: str  # what the API says it searched for, with detected filters


@dataclass
class EvalRun:
    dataset: Dataset
    results: list[QueryResult] = field(default_factory=list)
    import_seconds: float = 0.0
    database: str = ""
    # The search backend's class name.
    engine: str = ""
    # Wall time of each first-page API request, in milliseconds (the whole stack in process).
    first_page_ms: list[float] = field(default_factory=list)


def catalog_import(dataset: Dataset) -> None:
    """Import products.csv with `import_catalog` and rebuild the search index."""
    output = io.StringIO()
    try:
        call_command("import_catalog", str(dataset.products_file), verbosity=0, stdout=output, stderr=output)
    except CommandError as error:
        raise EvalError(
            f"import_catalog refused {dataset.products_file}: {error}\n{output.getvalue()}"
        ) from error
    call_command("search_reindex", verbosity=0, stdout=output, stderr=output)


def _understood(body: dict) -> str:
    detected = body.get("detected") or {}
    parts = [repr(body.get("query", ""))]
    if detected.get("min_price") or detected.get("max_price"):
        parts.append(f"price {detected.get('min_price') or ''}-{detected.get('max_price') or ''}")
    parts += [f"{name}={','.join(values)}" for name, values in (detected.get("attributes") or {}).items()]
    if body.get("relaxed"):
        parts.append("relaxed")
    return " ".join(parts)


def api_ranking(
    client: Client, text: str, depth: int = DEPTH, timings: list[float] | None = None
) -> tuple[list[int], str]:
    """Product ids the public search API answers for `text`, best first, up to `depth`,
    page by page; and what the API understood on the first page. The first page's wall
    time in ms is appended to `timings` when given."""
    ids: list[int] = []
    understood = ""
    page = 1
    while len(ids) < depth:
        params: dict[str, str | int] = {"q": text, "page": page, "limit": PAGE_SIZE}
        started = time.perf_counter()
        response = client.get(SEARCH_URL, params)
        if page == 1 and timings is not None:
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise EvalError(
                f"{SEARCH_URL}?q={text!r} page {page}: HTTP {response.status_code} {response.content!r}"
            )
        body = response.json()
        if page == 1:
            understood = _understood(body)
        ids += [hit["id"] for hit in body["hits"]]
        if page * PAGE_SIZE >= body["total"] or not body["hits"]:
            break
        page += 1
    return ids[:depth], understood


def _codes_by_product_id(dataset: Dataset) -> dict[int, str]:
    codes: dict[int, str] = {}
    for product_id, sku in ProductVariant.objects.values_list("product_id", "sku"):
        if sku in dataset.sku_to_code:
            codes[product_id] = dataset.sku_to_code[sku]
    return codes


def evaluate(dataset: Dataset, progress: Callable[[str], None] | None = None) -> EvalRun:
    """Import the set's products into the current database and score every query."""
    run = EvalRun(dataset=dataset, database=connection.vendor, engine=type(search_backend()).__name__)
    started = time.perf_counter()
    catalog_import(dataset)
    run.import_seconds = time.perf_counter() - started
    codes = _codes_by_product_id(dataset)
    baseline = Bm25Baseline(list(dataset.products.values()))
    # A server loads its URLconf and the API's schemas before its first request (config/wsgi.py);
    # so does this process, or the first query's time would be that loading (0.6-0.8 s).
    settle_heap()
    client = Client()
    # Every query pages through 100 results: far more requests than a shopper's rate.
    with override_settings(API_THROTTLE_ANON="1000000/m"):
        for query in dataset.queries:
            ids, understood = api_ranking(client, query.text, timings=run.first_page_ms)
            ours = [codes[i] for i in ids if i in codes]
            theirs = baseline.rank(query.text, DEPTH)
            grades = dataset.grades[query.query_id]
            run.results.append(
                QueryResult(
                    query=query,
                    ours=ours,
                    baseline=theirs,
                    ours_scores=Scores.of(ours, grades),
                    baseline_scores=Scores.of(theirs, grades),
                    understood=understood,
                )
            )
            if progress:
                progress(query.query_id)
    return run


def evaluate_fresh(dataset: Dataset, progress: Callable[[str], None] | None = None) -> EvalRun:
    """`evaluate` in a new, migrated, empty database (Django's test database of the configured
    one: a temporary SQLite file, or `<name>_search_eval` on PostgreSQL), dropped afterwards."""
    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":
        # Not the test suite's `test_<name>`: an evaluation beside a test run must not drop it.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_search_eval"
    creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return evaluate(dataset, progress)
    finally:
        creation.destroy_test_db(old_name, verbosity=0)
