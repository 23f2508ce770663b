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


def tier(p95: float, errors: int = 0, requests: int = 10) -> dict[str, object]:
    step = {
        "requests": requests,
        "p50_ms": 10.0,
        "p95_ms": p95,
        "max_ms": p95 + 1,
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


def test_check_passes_only_under_the_target_without_errors() -> None:
    assert checkout.check(tier(49.9))["passed"]
    assert not checkout.check(tier(50.0))["passed"]
    assert not checkout.check(tier(10.0, errors=1))["passed"]
    assert not checkout.check(tier(10.0, requests=0))["passed"]
    line = checkout.check_line("sqlite", checkout.check(tier(80.0)))
    assert "p95 < 50 ms with 16 shoppers: **FAIL**" in line
    assert "worst p95 80.0 ms" in line


def test_table_has_a_row_per_step_and_the_order_rates() -> None:
    text = checkout.table(tier(20.0, errors=2))
    for name in checkout.STEPS:
        assert f"| {name} | 10 | 10.0 | 20.0 | 21.0 | 2 (409: 2) |" in text
    assert "**116 orders/min**" in text
    assert "p50 300.0 ms, p95 900.0 ms" in text
