"""The contract every rate-counter store keeps (core/counters/base.py), run against each:
the SQLite file of the embedded tier always, Redis on the scale-out tier (REDIS_URL)."""

from __future__ import annotations

import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator

import pytest

from shopstack.core.counters.base import CounterBackend
from shopstack.core.counters.redis import RedisCounters
from shopstack.core.counters.sqlite_file import SqliteFileCounters
from shopstack.core.limits import Limit, limit_check, limit_consume, limit_record, limit_reset

REDIS_URL = os.environ.get("REDIS_URL", "")
BACKENDS = [
    "sqlite_file",
    pytest.param(
        "redis",
        marks=pytest.mark.skipif(
            not REDIS_URL, reason="the Redis store runs on the scale-out tier (REDIS_URL)"
        ),
    ),
]


def make_backend(kind: str, tmp_path) -> CounterBackend:
    if kind == "sqlite_file":
        return SqliteFileCounters(path=str(tmp_path / "limits.sqlite3"))
    return RedisCounters(url=REDIS_URL, prefix=f"shopstack:test-counters:{uuid.uuid4().hex}")


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path) -> Iterator[CounterBackend]:
    made = make_backend(request.param, tmp_path)
    yield made
    made.clear()


def later() -> float:
    return time.time() + 3600


def test_hits_count_up_within_a_window(backend) -> None:
    assert [backend.hit("a", window=7, expires_at=later()) for _ in range(3)] == [1, 2, 3]
    assert backend.hit("b", window=7, expires_at=later()) == 1
    assert backend.count("a", window=7) == 3
    assert backend.count("never", window=7) == 0


def test_a_later_window_starts_from_one(backend) -> None:
    backend.hit("a", window=7, expires_at=later())
    backend.hit("a", window=7, expires_at=later())
    assert backend.hit("a", window=8, expires_at=later()) == 1
    assert backend.count("a", window=8) == 1


def test_count_does_not_count(backend) -> None:
    backend.hit("a", window=1, expires_at=later())
    for _ in range(5):
        backend.count("a", window=1)
    assert backend.hit("a", window=1, expires_at=later()) == 2


def test_reset_and_clear(backend) -> None:
    backend.hit("a", window=1, expires_at=later())
    backend.hit("b", window=1, expires_at=later())
    backend.reset("a", window=1)
    assert backend.count("a", window=1) == 0
    assert backend.count("b", window=1) == 1
    backend.clear()
    assert backend.count("b", window=1) == 0


def test_ping(backend) -> None:
    assert backend.ping() is True


def _hammer(kind: str, path: str, prefix: str, hits: int, results) -> None:
    if kind == "sqlite_file":
        store: CounterBackend = SqliteFileCounters(path=path)
    else:
        store = RedisCounters(url=REDIS_URL, prefix=prefix)
    results.put([store.hit("shared", window=1, expires_at=time.time() + 3600) for _ in range(hits)])


@pytest.mark.parametrize("kind", BACKENDS)
def test_counts_are_atomic_across_processes(kind, tmp_path) -> None:
    """Four processes hit one key at once: every count from 1 to 4 x hits is handed out once."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    prefix = f"shopstack:test-counters:{uuid.uuid4().hex}"
    path = str(tmp_path / "limits.sqlite3")
    hits, processes = 150, 4
    workers = [
        context.Process(target=_hammer, args=(kind, path, prefix, hits, results)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    counts = [count for _ in workers for count in results.get(timeout=300)]
    for worker in workers:
        worker.join(300)
    assert sorted(counts) == list(range(1, hits * processes + 1))


# The limit helpers over whichever store the settings name (the suite's own tier).


def test_limit_consume_allows_exactly_the_count() -> None:
    limit = Limit(name="test.consume", count=3, seconds=60)
    now = 1_800_000_000.0
    verdicts = [limit_consume(limit, "client", now=now) for _ in range(4)]
    assert [verdict.allowed for verdict in verdicts] == [True, True, True, False]
    assert verdicts[-1].retry_after == 60 - int(now % 60)
    assert limit_consume(limit, "client", now=now + 60).allowed


def test_failures_only_count_when_recorded() -> None:
    limit = Limit(name="test.failures", count=2, seconds=60)
    now = 1_800_000_000.0
    assert limit_check(limit, "x", now=now).allowed
    limit_record(limit, "x", now=now)
    assert limit_check(limit, "x", now=now).allowed
    limit_record(limit, "x", now=now)
    assert not limit_check(limit, "x", now=now).allowed
    limit_reset(limit, "x", now=now)
    assert limit_check(limit, "x", now=now).allowed


@pytest.mark.parametrize(
    ("rate", "count", "seconds"), [("10/m", 10, 60), ("5/5m", 5, 300), ("1/s", 1, 1), ("600/h", 600, 3600)]
)
def test_rates_parse(rate: str, count: int, seconds: int) -> None:
    assert Limit.parse("x", rate) == Limit("x", count, seconds)


@pytest.mark.parametrize("rate", ["", "10", "ten/m", "10/w", "10/m/ip"])
def test_bad_rates_are_refused(rate: str) -> None:
    with pytest.raises(ValueError, match="is not a rate"):
        Limit.parse("x", rate)
