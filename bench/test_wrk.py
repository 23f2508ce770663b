"""Reading wrk's report: a parsing slip would put wrong numbers in every result."""

from __future__ import annotations

import pytest

from bench import wrk

CLEAN = """\
Running 10s test @ http://127.0.0.1:8000/hello
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.00ms  20.00ms   80.00%
    Req/Sec     7.30k   500.00     8.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    2.50ms
     90%    3.10ms
     99%    1.20s
  145632 requests in 10.01s, 20.00MB read
Requests/sec:  14548.65
Transfer/sec:      2.00MB
"""

WITH_ERRORS = """\
Running 2s test @ http://127.0.0.1:8000/nope
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     8.93ms    3.52ms  47.44ms   93.88%
    Req/Sec     1.84k   184.79     2.08k    92.50%
  Latency Distribution
     50%    8.10ms
     75%   10.14ms
     90%   10.88ms
     99%   26.39ms
  7323 requests in 2.00s, 6.26MB read
  Socket errors: connect 0, read 3, write 1, timeout 2
  Non-2xx or 3xx responses: 7323
Requests/sec:   3660.37
Transfer/sec:      3.13MB
"""


def test_reads_requests_per_second_and_percentiles_in_every_unit() -> None:
    result = wrk.parse(CLEAN)
    assert result.requests_per_s == pytest.approx(14548.65)
    assert result.requests == 145632
    assert result.duration_s == pytest.approx(10.01)
    assert result.p50_ms == pytest.approx(0.812)  # microseconds
    assert result.p75_ms == pytest.approx(2.5)  # milliseconds
    assert result.p99_ms == pytest.approx(1200.0)  # seconds
    assert result.non_2xx_3xx == 0
    assert result.error_count == 0


def test_counts_non_2xx_3xx_responses_and_socket_errors() -> None:
    result = wrk.parse(WITH_ERRORS)
    assert result.non_2xx_3xx == 7323
    assert result.socket_errors == 6
    assert result.error_count == 7329
    assert result.p99_ms == pytest.approx(26.39)


@pytest.mark.parametrize(
    ("value", "unit", "ms"),
    [("500", "us", 0.5), ("1.5", "ms", 1.5), ("2", "s", 2000.0), ("1", "m", 60_000.0)],
)
def test_time_units(value: str, unit: str, ms: float) -> None:
    assert wrk.to_ms(value, unit) == pytest.approx(ms)


def test_output_without_latency_distribution_is_an_error_not_zeroes() -> None:
    without = "\n".join(line for line in CLEAN.splitlines() if "%" not in line or "Stdev" in line)
    with pytest.raises(wrk.WrkError):
        wrk.parse(without)


def test_refuses_any_target_but_loopback() -> None:
    with pytest.raises(wrk.WrkError, match=r"127\.0\.0\.1"):
        wrk.run(wrk.Load(), "http://10.0.0.1:8000/")


def test_load_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_DURATION", "3")
    monkeypatch.setenv("BENCH_RUNS", "0")
    load = wrk.Load.from_env()
    assert load.duration_s == 3.0
    assert load.runs == 1  # at least one run, whatever was asked
    assert load.command("http://127.0.0.1:1/", load.duration_s)[1:4] == ["-t2", "-c32", "-d3s"]
