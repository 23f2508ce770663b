"""Rate limits that hold across every process of the shop.

A `Limit` says how many events one subject (a client address, a checkout, an account)
may cause per window of time; the counts live in the shared counter store
(settings.RATE_COUNTERS, see core/counters), so two web workers see one count.

Two ways to use one:
- `limit_consume` counts every attempt and says whether this one is still allowed (API
  requests, order lookups);
- `limit_check` + `limit_record` count only failures: a subject over the limit is refused
  before anything is tried, and only a failed try counts (voucher codes).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from shopstack.core.backends import load_backend
from shopstack.core.counters.base import CounterBackend

_RATE = re.compile(r"(\d+)/(\d*)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    seconds: int

    @classmethod
    def parse(cls, name: str, rate: str) -> Limit:
        """'10/m', '5/5m', '600/h', '1/s' or '100/30s' as a Limit."""
        match = _RATE.fullmatch(rate.strip())
        if match is None:
            raise ValueError(f"{rate!r} is not a rate such as '10/m' or '5/5m'")
        number, multiple, unit = match.groups()
        return cls(name=name, count=int(number), seconds=int(multiple or 1) * _UNIT_SECONDS[unit])


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends (0 when allowed)


def counters() -> CounterBackend:
    return load_backend("RATE_COUNTERS")  # type: ignore[no-any-return]


def _window(limit: Limit, now: float) -> tuple[int, float]:
    window = int(now // limit.seconds)
    return window, (window + 1) * limit.seconds


def _key(limit: Limit, subject: str) -> str:
    return f"{limit.name}:{limit.seconds}:{subject}"


def _retry_after(window_end: float, now: float) -> int:
    return max(1, int(window_end - now + 0.999))


def limit_consume(limit: Limit, subject: str, *, now: float | None = None) -> Verdict:
    """Count one event for `subject`; allowed while the window's count is within the limit."""
    now = time.time() if now is None else now
    window, window_end = _window(limit, now)
    count = counters().hit(_key(limit, subject), window=window, expires_at=window_end)
    allowed = count <= limit.count
    return Verdict(allowed=allowed, count=count, retry_after=0 if allowed else _retry_after(window_end, now))


def limit_check(limit: Limit, subject: str, *, now: float | None = None) -> Verdict:
    """Whether `subject` may try again, without counting anything."""
    now = time.time() if now is None else now
    window, window_end = _window(limit, now)
    count = counters().count(_key(limit, subject), window=window)
    allowed = count < limit.count
    return Verdict(allowed=allowed, count=count, retry_after=0 if allowed else _retry_after(window_end, now))


def limit_record(limit: Limit, subject: str, *, now: float | None = None) -> Verdict:
    """Count one failure for `subject` (see `limit_check`)."""
    return limit_consume(limit, subject, now=now)


def limit_reset(limit: Limit, subject: str, *, now: float | None = None) -> None:
    now = time.time() if now is None else now
    window, _ = _window(limit, now)
    counters().reset(_key(limit, subject), window=window)
