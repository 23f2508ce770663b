"""The evaluation's figures as a Markdown report: overall, per kind of query, worst queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from statistics import fmean, median

from shopstack.search.eval.runner import EvalRun, QueryResult

WORST = 10


def _means(results: list[QueryResult]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    ours = tuple(fmean(values) for values in zip(*(r.ours_scores.as_tuple() for r in results), strict=True))
    theirs = tuple(
        fmean(values) for values in zip(*(r.baseline_scores.as_tuple() for r in results), strict=True)
    )
    return ours, theirs


def _row(label: str, results: list[QueryResult], ours: tuple[float, ...], theirs: tuple[float, ...]) -> str:
    cells = [f"{o:.3f} / {t:.3f}{' ⚠' if o < t else ''}" for o, t in zip(ours, theirs, strict=True)]
    found = f"{median(len(r.ours) for r in results):g} / {median(len(r.baseline) for r in results):g}"
    return f"| {label} | {len(results)} | " + " | ".join(cells) + f" | {found} |"


def summary(run: EvalRun) -> dict[str, dict[str, tuple[float, ...]]]:
    """Mean (ndcg@10, mrr, recall@100) for ours and the baseline, overall and per kind."""
    groups: dict[str, list[QueryResult]] = defaultdict(list)
    for result in run.results:
        groups[result.query.kind].append(result)
    table = {"all": dict(zip(("ours", "bm25"), _means(run.results), strict=True))}
    for kind in sorted(groups):
        table[kind] = dict(zip(("ours", "bm25"), _means(groups[kind]), strict=True))
    return table


def worst(run: EvalRun, count: int = WORST) -> list[QueryResult]:
    """Our lowest NDCG@10 first; among equals, the ones BM25 does best on."""
    return sorted(run.results, key=lambda r: (r.ours_scores.ndcg, -r.baseline_scores.ndcg))[:count]


def _timing(run: EvalRun) -> str:
    """The first page's API time, median and slowest (a rough figure: the whole stack in
    process, on a machine doing other work; `make bench` measures speed)."""
    if not run.first_page_ms:
        return ""
    typical, slowest = median(run.first_page_ms), max(run.first_page_ms)
    return f" First page through the API: median {typical:.0f} ms, slowest {slowest:.0f} ms."


def report_markdown(run: EvalRun) -> str:
    """The report printed by `make eval-search` and written to bench/results."""
    products = len(run.dataset.products)
    lines = [
        "# Search relevance: our search vs plain BM25",
        "",
        f"Judgement set `{run.dataset.path}`: {products:,} products, {len(run.results)} queries; "
        f"database {run.database}, engine {run.engine}; import + index {run.import_seconds:.1f} s; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.{_timing(run)}",
        "",
        "Each cell is **ours / BM25** (mean over the queries); ⚠ marks where ours is lower.",
        "",
        "| queries | n | NDCG@10 | MRR | recall@100 | results (median of 100 max) |",
        "|---|---:|---|---|---|---|",
    ]
    groups: dict[str, list[QueryResult]] = defaultdict(list)
    for result in run.results:
        groups[result.query.kind].append(result)
    for label, values in summary(run).items():
        results = run.results if label == "all" else groups[label]
        lines.append(_row("**all**" if label == "all" else label, results, values["ours"], values["bm25"]))
    lines += [
        "",
        f"## Worst {min(WORST, len(run.results))} queries (our NDCG@10)",
        "",
        "| id | kind | query | ours NDCG@10 / MRR | BM25 NDCG@10 / MRR | understood as | our top 3 |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in worst(run):
        grades = run.dataset.grades[result.query.query_id]
        top = "; ".join(
            f"{run.dataset.products[code].title} ({grades.get(code, 0)})" for code in result.ours[:3]
        )
        lines.append(
            f"| {result.query.query_id} | {result.query.kind} | {result.query.text} "
            f"| {result.ours_scores.ndcg:.3f} / {result.ours_scores.mrr:.2f} "
            f"| {result.baseline_scores.ndcg:.3f} / {result.baseline_scores.mrr:.2f} "
            f"| {result.understood.replace('|', '/')} | {top or '(nothing)'} |"
        )
    lines += [
        "",
        "## Every query",
        "",
        "| id | kind | query | ours NDCG@10 / MRR / R@100 | BM25 NDCG@10 / MRR / R@100 |",
        "|---|---|---|---|---|",
    ]
    for result in run.results:
        o, b = result.ours_scores, result.baseline_scores
        lines.append(
            f"| {result.query.query_id} | {result.query.kind} | {result.query.text} "
            f"| {o.ndcg:.3f} / {o.mrr:.2f} / {o.recall:.2f} | {b.ndcg:.3f} / {b.mrr:.2f} / {b.recall:.2f} |"
        )
    return "\n".join(lines) + "\n"
