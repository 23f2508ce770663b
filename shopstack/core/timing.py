"""`Server-Timing` on every response: how long the server spent, as browsers' dev tools and
the checkout bench read it.

`app;dur=<ms>` is the time from this middleware (outermost) receiving the request to the
response coming back to it: every other middleware and the view, not the WSGI server's
own parsing and writing. With `SERVER_TIMING_DB` on, `db;dur=<ms>;desc="<n> queries"`
adds the time spent inside the default database connection's `execute` calls; off by
default because it wraps every query of every request (see bench/README.md for its cost).
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

HEADER = "Server-Timing"


class _QueryClock:
    """An execute_wrapper that adds up the time and count of the queries it lets through."""

    __slots__ = ("count", "seconds")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += perf_counter() - start
            self.count += 1


class ServerTimingMiddleware:
    """Adds `Server-Timing: app;dur=...` (and `db;dur=...` when SERVER_TIMING_DB is on)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.with_db = bool(getattr(settings, "SERVER_TIMING_DB", False))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = perf_counter()
        if not self.with_db:
            response = self.get_response(request)
            response[HEADER] = f"app;dur={(perf_counter() - start) * 1000:.2f}"
            return response
        clock = _QueryClock()
        with connection.execute_wrapper(clock):
            response = self.get_response(request)
        elapsed = perf_counter() - start
        response[HEADER] = (
            f'app;dur={elapsed * 1000:.2f}, db;dur={clock.seconds * 1000:.2f};desc="{clock.count} queries"'
        )
        return response
