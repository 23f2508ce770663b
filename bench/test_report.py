"""Medians, ratios to the ceiling and the pass/fail lines; plus scripts/serve and the
server comparison agreeing on granian's flags."""

from __future__ import annotations

import pytest

from bench import report, servers
from bench.server import ROOT
from bench.wrk import WrkResult


def run(rps: float, p50: float = 1.0, errors: int = 0) -> WrkResult:
    return WrkResult(
        requests=int(rps * 10),
        duration_s=10.0,
        requests_per_s=rps,
        p50_ms=p50,
        p75_ms=p50,
        p90_ms=p50,
        p99_ms=p50 * 3,
        non_2xx_3xx=errors,
        socket_errors=0,
    )


def target(key: str, rps: list[float], status: int = 200, errors: int = 0) -> report.TargetResult:
    return report.TargetResult(key, key, f"/{key}", status=status, runs=[run(r, errors=errors) for r in rps])


def test_ratio_uses_the_median_of_the_runs() -> None:
    rows = [target("hello", [9000, 10000, 50000]), target("product", [4000, 5000, 1])]
    assert report.ceiling_rps(rows) == 10000
    assert report.ratio(rows[1].median("requests_per_s"), report.ceiling_rps(rows)) == pytest.approx(0.4)


def test_checks_pass_at_half_the_ceiling_and_under_the_memory_limit() -> None:
    rows = [target("hello", [10000]), target("product", [5000]), target("api_detail", [7000])]
    found = {c.name: c for c in report.checks(rows, max_worker_rss=120.0)}
    assert all(c.passed for c in found.values()), found
    assert found["product >= 50% of hello world"].detail == "50% of the ceiling"


def test_checks_fail_below_half_and_over_the_memory_limit() -> None:
    rows = [target("hello", [10000]), target("product", [4999]), target("api_detail", [9000])]
    found = {c.name: c.passed for c in report.checks(rows, max_worker_rss=150.0)}
    assert found == {
        "product >= 50% of hello world": False,
        "api_detail >= 50% of hello world": True,
        "one web process < 150 MB RSS": False,
    }


def test_missing_or_erroring_targets_fail_instead_of_passing_on_fast_errors() -> None:
    rows = [
        target("hello", [10000]),
        target("product", [20000], errors=5),  # fast because it fails
        report.TargetResult("api_detail", "api_detail", None),
    ]
    found = {c.name: c for c in report.checks(rows, max_worker_rss=None)}
    assert not any(c.passed for c in found.values())
    assert found["product >= 50% of hello world"].detail == "not measurable: errors"
    assert found["api_detail >= 50% of hello world"].detail == "not measurable: missing"
    assert rows[1].state == "errors"


def test_states_for_the_table() -> None:
    assert target("x", [], status=404).state == "HTTP 404"
    assert target("x", [], status=0).state == "down"
    assert target("x", [100]).state == "ok"
    table = report.table([target("hello", [10000]), target("home", [2500]), target("p", [], status=500)])
    assert "| home | `/home` | ok | 2,500 |" in table
    assert "| 0.25 |" in table
    assert "HTTP 500" in table


def test_comparison_uses_the_same_granian_flags_as_scripts_serve() -> None:
    serve = " ".join((ROOT / "scripts" / "serve").read_text().replace("\\\n", " ").split())
    for flag in [*servers.GRANIAN_FLAGS, "--blocking-threads 1"]:
        assert flag in serve


def test_requests_per_server_cpu_second() -> None:
    row = target("hello", [1000, 2000])  # 10,000 and 20,000 requests
    row.server_cpu_s = [5.0, 8.0]
    assert row.requests_per_cpu_s == pytest.approx((2000 + 2500) / 2)
