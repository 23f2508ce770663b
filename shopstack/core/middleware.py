"""Health probes answered before any other middleware, so they stay cheap and honest."""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        connection.close_if_unusable_or_obsolete()
        return False


def cache_answers() -> bool:
    try:
        cache.set("readyz:probe", "ok", 5)
        return cache.get("readyz:probe") == "ok"
    except Exception:
        return False


def limits_answer() -> bool:
    from shopstack.core.limits import counters

    return counters().ping()


class HealthCheckMiddleware:
    """`/healthz`: the process is alive. `/readyz`: the database, the cache and the
    rate-limit store answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = {"database": database_answers(), "cache": cache_answers(), "limits": limits_answer()}
            ready = all(checks.values())
            return JsonResponse(
                {"status": "ok" if ready else "unavailable", "checks": checks},
                status=200 if ready else 503,
            )
        return self.get_response(request)
