"""The checkout bench's pure parts: percentiles, per-step error counts, the table and the check."""

from __future__ import annotations

import pytest

from bench import checkout


def test_percentile_interpolates_between_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert checkout.percentile(values, 50) == 30.0
    assert checkout.percentile(values, 95) == pytest.approx(48.0)
    assert checkout.percentile(values, 0) == 10.0
    assert checkout.percentile(values, 100) == 50.0
    assert checkout.percentile([7.0], 95) == 7.0
    assert checkout.percentile([], 50) is None
    # Order of the input does not matter.
    assert checkout.percentile([50.0, 10.0, 40.0, 20.0, 30.0], 50) == 30.0


def test_step_stats_count_non_2xx_and_no_answer_as_errors() -> None:
    stats = checkout.StepStats()
    for status in (200, 201, 422, 422, 500, 0):
        stats.add(5.0, status)
    summary = stats.summary()
    assert summary["requests"] == 6
    assert summary["errors"] == 4
    assert summary["errors_by_status"] == {"422": 2, "500": 1, "conn": 1}


def test_step_stats_keep_server_and_database_times_apart_from_client_latency() -> None:
    stats = checkout.StepStats()
    stats.add(30.0, 200, {"app": 3.0, "db": 1.0})
    stats.add(40.0, 201, {"app": 5.0})
    stats.add(50.0, 0, {})  # no answer: no server time
    summary = stats.summary()
    assert summary["p50_ms"] == 40.0
    assert summary["server_p50_ms"] == 4.0
    assert summary["server_max_ms"] == 5.0
    assert summary["db_p95_ms"] == 1.0
    assert checkout.StepStats().summary()["server_p95_ms"] is None


def test_server_timing_header_is_parsed() -> None:
    header = 'app;dur=12.34, db;dur=4.50;desc="7 queries"'
    assert checkout.server_timing(header) == {"app": 12.34, "db": 4.5}
    assert checkout.server_timing("app;dur=1.5") == {"app": 1.5}
    assert checkout.server_timing("cache;desc=hit, app;dur=x") == {}
    assert checkout.server_timing(None) == {}


def test_think_settings() -> None:
    assert checkout.think_settings("1-3") == [checkout.Think(1.0, 3.0)]
    assert checkout.think_settings("1-3,0") == [checkout.Think(1.0, 3.0), checkout.Think(0.0, 0.0)]
    assert checkout.think_settings("2") == [checkout.Think(2.0, 2.0)]
    assert checkout.Think(0, 0).label == "no think time (saturating)"
    assert checkout.Think(1, 3).label == "think time 1-3 s"
    for bad in ("x", "3-1", "-1", "1-"):
        with pytest.raises(ValueError, match="BENCH_THINK_SECONDS"):
            checkout.think_settings(bad)
    import random

    rng = random.Random(1)
    pauses = [checkout.Think(1, 3).pause(rng) for _ in range(200)]
    assert all(1 <= p <= 3 for p in pauses)
    assert checkout.Think(0, 0).pause(rng) == 0.0


def tier(p95: float, errors: int = 0, requests: int = 10, client_p95: float = 900.0) -> dict[str, object]:
    step = {
        "requests": requests,
        "server_p50_ms": 5.0,
        "server_p95_ms": p95,
        "server_max_ms": p95 + 1,
        "db_p50_ms": 1.0,
        "db_p95_ms": 2.0,
        "p50_ms": 10.0,
        "p95_ms": client_p95,
        "max_ms": client_p95 + 1,
        "errors": errors,
        "errors_by_status": {"409": errors} if errors else {},
    }
    return {
        "tier": "sqlite",
        "shoppers": 16,
        "seconds": 30.0,
        "variants": 200,
        "steps": {name: dict(step) for name in checkout.STEPS},
        "orders": {
            "placed": 60,
            "placed_per_min": 120.0,
            "confirmed": 58,
            "confirmed_per_min": 116.0,
            "pending": 2,
            "other": 0,
            "confirm_p50_ms": 300.0,
            "confirm_p95_ms": 900.0,
        },
        "load_average_at_end": [1.0, 1.0, 1.0],
    }


def test_check_judges_the_server_time_only_under_the_target_without_errors() -> None:
    # A slow client (queueing, the bench's own threads) does not fail the server's target.
    assert checkout.check(tier(49.9, client_p95=900.0))["passed"]
    assert not checkout.check(tier(50.0, client_p95=10.0))["passed"]
    assert not checkout.check(tier(10.0, errors=1))["passed"]
    assert not checkout.check(tier(10.0, requests=0))["passed"]
    unmeasured = tier(10.0)
    unmeasured["steps"]["place"]["server_p95_ms"] = None  # type: ignore[index]
    assert not checkout.check(unmeasured)["passed"]
    line = checkout.check_line("sqlite", checkout.check(tier(80.0)))
    assert "server time p95 < 50 ms with 16 shoppers" in line
    assert "**FAIL**" in line
    assert "worst server p95 80.0 ms" in line


def test_table_has_a_row_per_step_and_the_order_rates() -> None:
    text = checkout.table(tier(20.0, errors=2))
    for name in checkout.STEPS:
        assert f"| {name} | 10 | 5.0 | 20.0 | 21.0 | 1.0 | 2.0 | 10.0 | 900.0 | 901.0 | 2 (409: 2) |" in text
    assert "**116 orders/min**" in text
    assert "p50 300.0 ms, p95 900.0 ms" in text


def test_cpu_line_gives_each_role_per_order_and_as_cores() -> None:
    from bench.checkout_stats import cpu_line

    line = cpu_line({"web worker": 30.0, "task worker": 6.0, "machine": 60.0}, 60.0, 120)
    assert "web worker 30.0 s (0.50 cores, 250 ms/order)" in line
    assert "task worker 6.0 s (0.10 cores, 50 ms/order)" in line
    assert line.endswith("whole machine 1.00 cores busy.")
    assert "ms/order" not in cpu_line({"web worker": 1.0, "machine": 1.0}, 10.0, 0)


def test_cpu_accounting_splits_the_machine_into_roles_and_the_rest() -> None:
    from bench.procs import cpu_by_role, machine_busy_seconds

    before = machine_busy_seconds()
    sum(i * i for i in range(300_000))
    assert machine_busy_seconds() >= before
    # This test process leads no session of its own, so no server role is found for a
    # session id that does not exist.
    assert cpu_by_role(2**22 + 12345, "granian") == {}
    used = checkout._cpu_used(
        {"web worker": 1.0, "bench client": 1.0, "machine": 10.0},
        {"web worker": 4.0, "bench client": 2.0, "machine": 16.0},
    )
    assert used == {"web worker": 3.0, "bench client": 1.0, "other processes": 2.0, "machine": 6.0}
