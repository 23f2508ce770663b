"""Counters in Redis, shared by every process on every machine of a scaled-out shop.

Each window is a key of its own (INCR, with an expiry set in the same transaction), so a
key's count starts afresh in the next window without anyone resetting it.
"""

from __future__ import annotations

import math
import time

import redis

from shopstack.core.counters.base import CounterBackend


class RedisCounters(CounterBackend):
    def __init__(self, url: str, prefix: str = "shopstack:limits") -> None:
        self.prefix = prefix
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

    def _key(self, key: str, window: int) -> str:
        return f"{self.prefix}:{key}:{window}"

    def hit(self, key: str, *, window: int, expires_at: float) -> int:
        name = self._key(key, window)
        ttl = max(1, math.ceil(expires_at - time.time()))
        pipeline = self.client.pipeline(transaction=True)
        pipeline.incr(name)
        pipeline.expire(name, ttl)
        count, _ = pipeline.execute()
        return int(count)

    def count(self, key: str, *, window: int) -> int:
        value = self.client.get(self._key(key, window))
        return int(value) if value is not None else 0

    def reset(self, key: str, *, window: int) -> None:
        self.client.delete(self._key(key, window))

    def clear(self) -> None:
        names = list(self.client.scan_iter(match=f"{self.prefix}:*", count=1000))
        for start in range(0, len(names), 1000):
            self.client.delete(*names[start : start + 1000])

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False
