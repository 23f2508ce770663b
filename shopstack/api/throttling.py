"""Per-client rate limits: ninja's AnonRateThrottle and AuthRateThrottle, keyed as ninja
keys them (client address; the signed-in user), with two changes:

- the rate is read from settings (API_THROTTLE_ANON / API_THROTTLE_AUTH) on each
  request, so an environment or a test can change it;
- the count is a fixed-window counter (one `incr` in the shared cache) instead of
  ninja's list of every request's timestamp, which is read, rewritten and pickled on
  each request and so costs O(rate): at the benchmark's raised rate that list would
  hold hundreds of thousands of entries.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest
from ninja.throttling import AnonRateThrottle, AuthRateThrottle, BaseThrottle, SimpleRateThrottle

from shopstack.api.auth import identify_client


class _FixedWindowMixin(SimpleRateThrottle):
    setting_name = ""

    def __init__(self) -> None:
        super().__init__(rate=getattr(settings, self.setting_name))
        self.window_end = 0.0

    def _limits(self) -> tuple[int, int]:
        rate = getattr(settings, self.setting_name)
        if rate != self.rate:
            self.rate = rate
            self.num_requests, self.duration = self.parse_rate(rate)
        return self.num_requests or 0, self.duration or 1

    def allow_request(self, request: HttpRequest) -> bool:
        identify_client(request)
        key = self.get_cache_key(request)
        if key is None:
            return True
        limit, duration = self._limits()
        self.now = self.timer()
        window = int(self.now // duration)
        self.window_end = (window + 1) * duration
        window_key = f"{key}:{duration}:{window}"
        if isinstance(caches["default"], LocMemCache):
            count = _local_count(window_key, duration, window)
        else:
            try:
                count = self.cache.incr(window_key)
            except ValueError:
                # First request of the window (or the key expired): create it; another
                # process may win the race, in which case count on its key.
                count = 1 if self.cache.add(window_key, 1, duration + 1) else self.cache.incr(window_key)
        return count <= limit

    def wait(self) -> float | None:
        return max(self.window_end - self.now, 1.0)


# The in-process cache is private to each process anyway, so on the embedded tier the
# counters live in a plain dict: same limits, without pickling through the cache on
# every request (about a tenth of an API detail request's CPU time).
# duration -> (current window, counters of that window)
_local_windows: dict[int, tuple[int, dict[str, int]]] = {}
_local_lock = threading.Lock()


def local_counters_reset() -> None:
    """Forget every in-process count (tests do this with the cache between tests)."""
    with _local_lock:
        _local_windows.clear()


def _local_count(window_key: str, duration: int, window: int) -> int:
    with _local_lock:
        current, counters = _local_windows.get(duration, (None, {}))
        if current != window:
            # A new window for every key of this duration: older counters never matter again.
            counters = {}
            _local_windows[duration] = (window, counters)
        count = counters.get(window_key, 0) + 1
        counters[window_key] = count
        return count


class ClientAnonThrottle(_FixedWindowMixin, AnonRateThrottle):
    """Anonymous clients, by address (API_THROTTLE_ANON)."""

    setting_name = "API_THROTTLE_ANON"


class ClientAuthThrottle(_FixedWindowMixin, AuthRateThrottle):
    """Signed-in clients, by user (API_THROTTLE_AUTH). Anonymous requests are left to
    the anonymous throttle, so each request costs one counter, not two."""

    setting_name = "API_THROTTLE_AUTH"

    def get_cache_key(self, request: HttpRequest) -> str | None:  # type: ignore[override]
        if getattr(request, "auth", None) is None:
            return None
        return super().get_cache_key(request)


def client_throttles() -> list[BaseThrottle]:
    return [ClientAnonThrottle(), ClientAuthThrottle()]
