"""Turns wrk runs into medians, ratios to the ceiling and pass/fail checks. Pure: no I/O."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.wrk import WrkResult

CEILING = "hello"
# The issue's targets: pages and API at half the hello-world ceiling on the same server,
# and one web process small enough to run many of them on one machine.
RATIO_TARGETS = {"product": 0.5, "api_detail": 0.5}
MAX_WORKER_RSS_MB = 150.0


@dataclass
class TargetResult:
    key: str
    label: str
    path: str | None
    note: str = ""
    status: int | None = None  # of one GET before the load; None when never requested
    runs: list[WrkResult] = field(default_factory=list)
    worker_rss_mb: float | None = None  # the largest single web worker while this was loaded
    server_cpu_s: list[float] = field(default_factory=list)  # CPU the server used, per run
    error: str = ""

    @property
    def measured(self) -> bool:
        return bool(self.runs)

    @property
    def ok(self) -> bool:
        """Measured, and every response was 2xx/3xx with no socket errors."""
        return self.measured and self.status is not None and 200 <= self.status < 400 and self.errors == 0

    @property
    def errors(self) -> int:
        return sum(run.error_count for run in self.runs)

    @property
    def requests(self) -> int:
        return sum(run.requests for run in self.runs)

    def median(self, name: str) -> float | None:
        values = [getattr(run, name) for run in self.runs]
        return statistics.median(values) if values else None

    @property
    def requests_per_cpu_s(self) -> float | None:
        """Median over the runs of requests served per CPU-second the server spent."""
        values = [r.requests / cpu for r, cpu in zip(self.runs, self.server_cpu_s, strict=False) if cpu > 0]
        return statistics.median(values) if values else None

    @property
    def state(self) -> str:
        """One word for the table: ok, missing, errors, HTTP <status>, down."""
        if self.path is None:
            return "missing"
        if self.status == 0:
            return "down"
        if self.status is not None and not 200 <= self.status < 400:
            return f"HTTP {self.status}"
        if self.measured and self.errors:
            return "errors"
        return "ok" if self.measured else "not run"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


def ratio(value: float | None, ceiling: float | None) -> float | None:
    if value is None or not ceiling:
        return None
    return value / ceiling


def ceiling_rps(results: list[TargetResult]) -> float | None:
    for result in results:
        if result.key == CEILING and result.ok:
            return result.median("requests_per_s")
    return None


def checks(results: list[TargetResult], max_worker_rss: float | None) -> list[Check]:
    """The pass/fail lines of the issue. A target that is missing or answered errors fails."""
    ceiling = ceiling_rps(results)
    by_key = {r.key: r for r in results}
    found: list[Check] = []
    for key, wanted in RATIO_TARGETS.items():
        result = by_key.get(key)
        label = result.label if result else key
        name = f"{label} >= {wanted:.0%} of hello world"
        if result is None or not result.ok:
            state = result.state if result else "missing"
            found.append(Check(name, False, f"not measurable: {state}"))
            continue
        got = ratio(result.median("requests_per_s"), ceiling)
        if got is None:
            found.append(Check(name, False, "no hello-world ceiling to compare with"))
        else:
            found.append(Check(name, got >= wanted, f"{got:.0%} of the ceiling"))
    rss_name = f"one web process < {MAX_WORKER_RSS_MB:.0f} MB RSS"
    if max_worker_rss is None:
        found.append(Check(rss_name, False, "no web worker was sampled"))
    else:
        found.append(Check(rss_name, max_worker_rss < MAX_WORKER_RSS_MB, f"max {max_worker_rss:.0f} MB"))
    return found


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table(results: list[TargetResult]) -> str:
    """A markdown table: medians over the runs, throughput as a share of the ceiling."""
    ceiling = ceiling_rps(results)
    lines = [
        "| target | URL | state | req/s | p50 ms | p99 ms | x ceiling | req per server CPU-s "
        "| worker RSS MB | note |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        rps = r.median("requests_per_s")
        share = ratio(rps, ceiling) if r.ok else None
        note = r.note
        if r.errors:
            note = f"{r.errors} of {r.requests} responses non-2xx/3xx or failed; {note}".rstrip("; ")
        if r.error:
            note = f"{r.error}; {note}".rstrip("; ")
        lines.append(
            f"| {r.label} | `{r.path or '-'}` | {r.state} | {_num(rps, ',.0f')} "
            f"| {_num(r.median('p50_ms'), '.2f')} | {_num(r.median('p99_ms'), '.2f')} "
            f"| {_num(share, '.2f')} | {_num(r.requests_per_cpu_s if r.ok else None, ',.0f')} "
            f"| {_num(r.worker_rss_mb, '.0f')} | {note} |"
        )
    return "\n".join(lines)


def check_lines(found: list[Check]) -> str:
    return "\n".join(f"- {'PASS' if c.passed else 'FAIL'}: {c.name} ({c.detail})" for c in found)


def result_dict(result: TargetResult, ceiling: float | None) -> dict[str, Any]:
    rps = result.median("requests_per_s")
    return {
        "key": result.key,
        "label": result.label,
        "path": result.path,
        "note": result.note,
        "state": result.state,
        "status": result.status,
        "error": result.error,
        "requests_per_s_median": rps,
        "p50_ms_median": result.median("p50_ms"),
        "p99_ms_median": result.median("p99_ms"),
        "ratio_to_ceiling": ratio(rps, ceiling) if result.ok else None,
        "errors": result.errors,
        "requests": result.requests,
        "max_worker_rss_mb": result.worker_rss_mb,
        "requests_per_server_cpu_s_median": result.requests_per_cpu_s,
        "server_cpu_s": result.server_cpu_s,
        "runs": [run.as_dict() for run in result.runs],
    }


def checks_dict(found: list[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in found]
