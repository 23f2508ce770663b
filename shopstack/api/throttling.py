"""Per-client rate limits: ninja's AnonRateThrottle and AuthRateThrottle, with the client
keyed by `core.clients.client_address` (the same address every other limit uses: a
forwarded-for header counts only behind TRUSTED_PROXY_COUNT proxies) or the signed-in
user, and two changes:

- the rate is read from settings (API_THROTTLE_ANON / API_THROTTLE_AUTH) on each
  request, so an environment or a test can change it;
- the count is a fixed-window counter in the shared counter store (core/limits), one
  atomic increment per request, seen by every web process, instead of ninja's list of
  every request's timestamp in the cache (read, rewritten and pickled on each request,
  O(rate), and per process on the embedded tier).
"""

from __future__ import annotations

import time
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle, SimpleRateThrottle

from shopstack.api.auth import client_user, identify_client
from shopstack.core.clients import client_address
from shopstack.core.limits import Limit, limit_consume


@lru_cache(maxsize=32)
def _limit(name: str, rate: str) -> Limit:
    count, seconds = SimpleRateThrottle.parse_rate(SimpleRateThrottle, rate)  # type: ignore[arg-type]
    return Limit(name=name, count=count or 0, seconds=seconds or 1)


class _SharedWindowThrottle(BaseThrottle):
    setting_name = ""
    limit_name = ""
    timer = staticmethod(time.time)

    def __init__(self) -> None:
        self.retry_after = 1

    def subject(self, request: HttpRequest) -> str | None:
        raise NotImplementedError("throttles name the subject they count")

    def allow_request(self, request: HttpRequest) -> bool:
        identify_client(request)
        subject = self.subject(request)
        if subject is None:
            return True
        limit = _limit(self.limit_name, getattr(settings, self.setting_name))
        verdict = limit_consume(limit, subject, now=self.timer())
        self.retry_after = verdict.retry_after
        return verdict.allowed

    def wait(self) -> float | None:
        return float(max(self.retry_after, 1))


class ClientAnonThrottle(_SharedWindowThrottle):
    """Anonymous clients, by address (API_THROTTLE_ANON)."""

    setting_name = "API_THROTTLE_ANON"
    limit_name = "api.anon"

    def subject(self, request: HttpRequest) -> str | None:
        if client_user(request) is not None:
            return None
        return client_address(request)


class ClientAuthThrottle(_SharedWindowThrottle):
    """Signed-in clients, by user (API_THROTTLE_AUTH). Anonymous requests are left to
    the anonymous throttle, so each request costs one counter, not two."""

    setting_name = "API_THROTTLE_AUTH"
    limit_name = "api.user"

    def subject(self, request: HttpRequest) -> str | None:
        user = client_user(request)
        return None if user is None else str(user.pk)


class ClientEventsThrottle(_SharedWindowThrottle):
    """Batches sent to POST /events, by signed-in user or else by address
    (API_THROTTLE_EVENTS). A budget of its own: an app's analytics never eat into the
    requests its shoppers make, nor the other way round."""

    setting_name = "API_THROTTLE_EVENTS"
    limit_name = "api.events"

    def subject(self, request: HttpRequest) -> str | None:
        user = client_user(request)
        return f"address:{client_address(request)}" if user is None else f"user:{user.pk}"


def client_throttles() -> list[BaseThrottle]:
    return [ClientAnonThrottle(), ClientAuthThrottle()]
