"""Health probes answered before any other middleware, so they stay cheap and honest; the
Permissions-Policy header on every other answer."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from shopstack.core.readiness import readiness_report


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
    """`/healthz`: the process is alive. `/readyz`: the database, the cache, the rate-limit
    store and every check a context registered (readiness.py: the analytics event store)
    answer; a 503 names the ones that did not."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = {
                "database": database_answers(),
                "cache": cache_answers(),
                "limits": limits_answer(),
                **readiness_report(),
            }
            ready = all(checks.values())
            return JsonResponse(
                {"status": "ok" if ready else "unavailable", "checks": checks},
                status=200 if ready else 503,
            )
        return self.get_response(request)


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """`feature=(allowlist)` pairs: [] refuses the feature everywhere, "self" allows this
    origin, any other entry is an origin that may use it (in an iframe of ours)."""
    clauses = []
    for feature, allowed in policy.items():
        members = " ".join("self" if origin == "self" else f'"{origin}"' for origin in allowed)
        clauses.append(f"{feature}=({members})")
    return ", ".join(clauses)


class PermissionsPolicyMiddleware:
    """Every response says which browser features its page may use (settings.PERMISSIONS_POLICY).

    The header is built once per process: it is the same for every answer, cached pages included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = permissions_policy_header(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
