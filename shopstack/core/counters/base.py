"""What every counter store must do. One contract suite (core/tests/test_counters_contract.py)
runs against each backend."""

from __future__ import annotations


class CounterBackend:
    """Counts events per key within fixed windows of time.

    A window is named by its number (`int(now // seconds)`), so every process agrees on
    where windows start without talking to the others. Counting must be atomic across
    processes: two processes hitting one key at once get two different counts.
    """

    def hit(self, key: str, *, window: int, expires_at: float) -> int:
        """Count one more event for `key` in `window` and return the count so far.

        A key's count starts again from one in a later window; `expires_at` (epoch seconds)
        is when the store may forget the key."""
        raise NotImplementedError("CounterBackend subclasses must implement hit()")

    def count(self, key: str, *, window: int) -> int:
        """Events counted for `key` in `window`, without counting one."""
        raise NotImplementedError("CounterBackend subclasses must implement count()")

    def reset(self, key: str, *, window: int) -> None:
        """Forget `key`'s count in `window` (e.g. after a successful attempt)."""
        raise NotImplementedError("CounterBackend subclasses must implement reset()")

    def clear(self) -> None:
        """Forget every count (tests, and an operator lifting every limit at once)."""
        raise NotImplementedError("CounterBackend subclasses must implement clear()")

    def ping(self) -> bool:
        """True when the store answers (the readiness probe asks)."""
        raise NotImplementedError("CounterBackend subclasses must implement ping()")
