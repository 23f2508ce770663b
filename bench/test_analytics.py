"""The analytics bench's helpers: sizes, the data's cache key, percentiles, the wait that
keeps a replayed cookie within its minute, on/off ratios, wrk's POST scripts, the checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bench import analytics, analytics_report


@pytest.mark.parametrize(
    ("text", "events"),
    [("10m", 10_000_000), ("1M", 1_000_000), ("500k", 500_000), ("2_000", 2_000), ("1.5m", 1_500_000)],
)
def test_sizes_are_read_with_their_suffix(text: str, events: int) -> None:
    assert analytics.parse_size(text) == events


@pytest.mark.parametrize("text", ["ten", "", "12x", "999"])
def test_a_size_that_is_no_number_or_too_small_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        analytics.parse_size(text)


def test_labels_name_the_cache_folder() -> None:
    assert [analytics.size_label(n) for n in (10_000_000, 500_000, 1_500)] == ["10m", "500k", "1500"]


def test_the_data_key_changes_with_the_generator_and_the_size() -> None:
    key = analytics.data_key(1_000_000, 100_000, "1")

    assert key != analytics.data_key(1_000_000, 100_000, "2")
    assert key != analytics.data_key(2_000_000, 100_000, "1")
    assert key == analytics.data_key(1_000_000, 100_000, "1")


def test_percentiles_are_nearest_rank() -> None:
    values = [0.5, 0.1, 0.3, 0.2, 0.4]

    assert analytics.percentile(values, 0.5) == 0.3
    assert analytics.percentile(values, 0.95) == 0.5
    assert analytics.percentile([], 0.5) is None


@pytest.mark.parametrize(
    ("now", "wait"),
    [(120.0, 0.0), (167.0, 0.0), (169.0, 11.5), (179.5, 1.0)],
)
def test_a_browser_run_waits_for_a_minute_it_fits_in(now: float, wait: float) -> None:
    # 10 s runs with a 2 s margin fit when they start by second 48 of a minute.
    assert analytics.seconds_to_wait(now, 10.0) == pytest.approx(wait)


def test_ratios_are_of_medians_and_of_paired_runs() -> None:
    found = analytics.ratio_summary(on=[90.0, 100.0, 95.0], off=[100.0, 100.0, 100.0])

    assert found["on"] == 95.0
    assert found["ratio"] == pytest.approx(0.95)
    assert found["paired_ratio"] == pytest.approx(0.95)
    assert analytics.ratio_summary([], [1.0])["ratio"] is None


def test_the_api_batch_is_a_valid_shape_and_stays_valid() -> None:
    batch = analytics.api_batch(100)

    assert len(batch["events"]) == 100
    assert len({event["event_id"] for event in batch["events"]}) == 100
    # Every event happened before the batch was sent, none more than 7 days before.
    assert all(event["occurred_at"] < batch["sent_at"] for event in batch["events"])
    assert all(event["occurred_at"].startswith("2026-01-01T11:") for event in batch["events"])


def test_the_lua_script_posts_the_body_as_it_is() -> None:
    body = json.dumps({"path": '/p/"quoted"/', "engaged_ms": 1})

    script = analytics.lua_post(body, {"Content-Type": "text/plain;charset=UTF-8"})

    assert 'wrk.method = "POST"' in script
    assert f"wrk.body = {json.dumps(body)}" in script
    assert 'wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"' in script


def _data(browser_ratio: float, p95s: list[float]) -> dict[str, Any]:
    rows = [
        {"dashboard": f"d{i}", "variant": "all", "cold_s": p, "p50_s": p, "p95_s": p, "runs": 5}
        for i, p in enumerate(p95s)
    ]
    return {
        "size": "10m",
        "product_page": {
            "browser": {"throughput": {"ratio": browser_ratio}},
            "script": {"throughput": {"ratio": 0.5}},
        },
        "dashboards": {"duckdb": {"rows": rows}},
    }


def test_checks_judge_the_browser_ratio_and_every_dashboard() -> None:
    found = analytics_report.checks(_data(0.96, [0.4, 0.9]))

    judged = {c["name"]: c["passed"] for c in found if c["target"]}
    assert all(judged.values())
    assert [c["passed"] for c in found if not c["target"]] == [False]  # the script ratio is only reported


def test_a_slow_dashboard_or_a_low_ratio_fails() -> None:
    found = analytics_report.checks(_data(0.94, [0.4, 1.2]))

    assert [c["passed"] for c in found if c["target"]] == [False, False]
    assert "d1 (all)" in found[-1]["detail"]


def test_dashboard_rows_take_percentiles_of_the_warm_runs() -> None:
    rows = analytics.dashboard_rows(
        {
            "times": {"overview|all": {"cold": [3.0], "warm": [1.0, 2.0, 0.5]}},
            "errors": {"funnel|all": "boom"},
        }
    )

    assert rows[0] == {
        "dashboard": "overview",
        "variant": "all",
        "cold_s": 3.0,
        "p50_s": 1.0,
        "p95_s": 2.0,
        "runs": 3,
    }
    assert rows[1] == {"dashboard": "funnel", "variant": "all", "error": "boom"}
