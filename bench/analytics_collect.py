"""What the analytics middleware costs a request: a direct call, no server, no database.

    .venv/bin/python -m bench.analytics_collect [--repeat 7] [--number 20000]

Each case runs the middleware around a view that hands back a ready cached product page
(HTML 200 with its ETag, as the page cache answers) which declared `product_view`, so the
figure is the middleware's own work: consent, device, visitor and session cookies, two
events built and handed to the buffer. The buffer's sink drops the events here; writing
them is the writer thread's job, off the request (its cost per event is printed too, for
the embedded tier's SQLite file). The floor is the same request and view without the
middleware. Prints the best of `--repeat` runs in microseconds of this process's CPU
time per request (the other runs, and wall time, measure the machine's other work too).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("ANALYTICS_FLUSH_SECONDS", "60")  # buffered: the request never writes
    import django

    django.setup()


def _cases() -> dict[str, Callable[[], Any]]:
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.utils.functional import SimpleLazyObject

    from shopstack.analytics import middleware as collect_middleware
    from shopstack.analytics import services
    from shopstack.analytics.buffer import EventBuffer
    from shopstack.analytics.middleware import AnalyticsMiddleware
    from shopstack.analytics.schema import Kind
    from shopstack.analytics.sessions import SessionState
    from shopstack.analytics.visitors import (
        SESSION_COOKIE,
        VISITOR_COOKIE,
        Identity,
        SessionCookie,
        session_cookie_value,
    )
    from shopstack.analytics.web import page_about

    dropped = EventBuffer(lambda events: None, flush_seconds=3600, max_events=10**9)
    services._buffer = lambda: dropped  # type: ignore[assignment]
    body = b"<!doctype html><html>" + b"x" * 30_000 + b"</html>"

    def view(request: Any) -> HttpResponse:
        page_about(request, Kind.PRODUCT_VIEW, product_id=42)
        response = HttpResponse(body, content_type="text/html; charset=utf-8")
        response.headers["ETag"] = '"0123456789abcdef"'
        response.headers["Cache-Control"] = "max-age=0, must-revalidate"
        response.headers["X-Page-Cache"] = "hit"
        return response

    middleware = AnalyticsMiddleware(view)
    factory = RequestFactory()
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0"
    # A fixed clock: the visit's cookie was last renewed 5 s ago (this minute) or 2 minutes ago.
    now = datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC)
    collect_middleware.clock = lambda: now  # type: ignore[assignment]

    def cookies(renewed_ago: timedelta) -> str:
        held = SessionState("w-0123456789abcdef01234567", now - renewed_ago, "")
        return "; ".join(
            [
                f"{VISITOR_COOKIE}=0123456789abcdef0123456789abcdef",
                f"{SESSION_COOKIE}={session_cookie_value(SessionCookie(held, Identity(None, '')))}",
                "csrftoken=abcdefabcdefabcdefabcdefabcdefab",
            ]
        )

    returning = cookies(timedelta(seconds=5))
    others = "csrftoken=abcdefabcdefabcdefabcdefabcdefab"

    def call(agent: str = agent, **headers: str) -> Callable[[], Any]:
        def one() -> Any:
            request = factory.get("/p/blue-mug/", HTTP_USER_AGENT=agent, **headers)
            request.user = SimpleLazyObject(AnonymousUser)
            return middleware(request)

        return one

    def floor() -> Any:
        request = factory.get("/p/blue-mug/", HTTP_USER_AGENT=agent, HTTP_COOKIE=returning)
        request.user = SimpleLazyObject(AnonymousUser)
        return view(request)

    return {
        "without the middleware (the floor)": floor,
        "returning visitor, cookie renewed this minute": call(HTTP_COOKIE=returning),
        "returning visitor, cookie renewed now": call(HTTP_COOKIE=cookies(timedelta(minutes=2))),
        "first page of a new visitor (2 cookies set)": call(),
        "Do-Not-Track (anonymous id, no cookie)": call(HTTP_COOKIE=others, HTTP_DNT="1"),
        # wrk's own requests: no User-Agent and no cookie, so a bot counted anonymously.
        "no User-Agent, no cookie (a script, as wrk)": call(agent=""),
    }


def _store_cost_per_event(count: int = 5000) -> float:
    from shopstack.analytics.schema import AnalyticsEvent, Kind
    from shopstack.analytics.store.sqlite_file import SqliteFileEventStore

    with tempfile.TemporaryDirectory() as folder:
        store = SqliteFileEventStore(os.path.join(folder, "events.sqlite3"))
        now = datetime.now(UTC)
        batch = [AnalyticsEvent(Kind.PAGE_VIEW, occurred_at=now, path="/p/blue-mug/") for _ in range(500)]
        store.append(batch[:1])
        start = time.process_time()
        for _ in range(count // len(batch)):
            store.append(batch)
        return (time.process_time() - start) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=20_000)
    arguments = parser.parse_args()
    _setup()
    cases = _cases()
    results = {}
    for name, case in cases.items():
        case()  # warm: parsers' caches, keys, imports
        runs = timeit.repeat(case, repeat=arguments.repeat, number=arguments.number, timer=time.process_time)
        results[name] = min(runs) / arguments.number * 1e6
    floor = results["without the middleware (the floor)"]
    print(f"{'case':48} {'µs/request':>10} {'over the floor':>15}")
    for name, micros in results.items():
        print(f"{name:48} {micros:10.1f} {micros - floor:15.1f}")
    writer = _store_cost_per_event() * 1e6
    print(f"\nwriter thread, SQLite file store: {writer:.1f} µs per event (batches of 500)")
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
