"""Where a checkout request spends its CPU: the API checkout flow in one process, no server.

    .venv/bin/python -m bench.profile_checkout [--flows 40] [--profile place] [--top 40]

Runs the same six requests as the checkout benchmark (bench/checkout.py) through Django's
test client against a throwaway copy of the demo database (var/shopstack.sqlite3, so
`make demo` or one checkout bench run must have made it), and prints for each step the
median and p95 CPU time of the process (`time.process_time`, which other work on the
machine barely moves, unlike wall time) and the number of queries. `--profile STEP` adds
cProfile's top functions for that step, by cumulative time.

This is a tool for finding the cost, not the benchmark: the figures that count come from
`make bench` against the production server.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("add_to_cart", "start", "contact", "address", "shipping", "place")


def _configure(database: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DEBUG", "0")
    os.environ["API_THROTTLE_ANON"] = "100000000/m"
    os.environ["API_THROTTLE_AUTH"] = "100000000/m"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)  # the copy may predate this checkout's migrations


class Flow:
    """One shopper's requests, each timed and its queries counted."""

    def __init__(self, profile_step: str | None) -> None:
        from django.db import connection
        from django.test import Client

        self.client = Client(HTTP_HOST="127.0.0.1")
        self.connection = connection
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.queries: dict[str, list[int]] = defaultdict(list)
        self.profile_step = profile_step
        self.profiler = cProfile.Profile()
        self.last_sql: dict[str, list[str]] = {}

    def request(self, step: str, method: str, path: str, body: dict[str, Any] | None, **headers: str) -> Any:
        import json

        statements: list[str] = []

        def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        call = getattr(self.client, method.lower())
        data = json.dumps(body) if body is not None else None
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        with self.connection.execute_wrapper(counter):
            if step == self.profile_step:
                self.profiler.enable()
            start = time.process_time()
            response = call(path, data=data, content_type="application/json", **extra)
            elapsed = (time.process_time() - start) * 1000
            if step == self.profile_step:
                self.profiler.disable()
        if response.status_code >= 300:
            raise SystemExit(f"{step}: {response.status_code} {response.content[:400]!r}")
        self.cpu[step].append(elapsed)
        self.queries[step].append(len(statements))
        self.last_sql[step] = statements
        return response

    def run(self, variant: int, country: str) -> None:
        answer = self.request(
            "add_to_cart", "POST", "/api/v1/cart/lines", {"variant_id": variant, "quantity": 1}
        )
        cart_token = answer.headers["X-Cart-Token"]
        checkout = self.request("start", "POST", "/api/v1/checkout", None, x_cart_token=cart_token).json()
        base = f"/api/v1/checkout/{checkout['token']}"
        email = f"profile-{uuid.uuid4().hex[:8]}@example.com"
        self.request("contact", "PUT", f"{base}/contact", {"email": email}, x_cart_token=cart_token)
        address = {
            "full_name": "Profile Shopper",
            "line1": "1 Test Street",
            "city": "London",
            "postal_code": "SW1A 1AA",
            "country": country,
        }
        body = self.request(
            "address", "PUT", f"{base}/address", {"shipping": address}, x_cart_token=cart_token
        )
        method = body.json()["shipping_options"][0]["method_id"]
        self.request(
            "shipping", "PUT", f"{base}/shipping-method", {"method_id": method}, x_cart_token=cart_token
        )
        self.request(
            "place",
            "POST",
            f"{base}/place",
            {"payment_token": "tok_success"},
            x_cart_token=cart_token,
            idempotency_key=str(uuid.uuid4()),
        )


def _sellable() -> tuple[list[int], str]:
    from django.db.models import F

    from shopstack.inventory.models import Stock
    from shopstack.shipping.models import ShippingZone

    stocks = Stock.objects.filter(
        variant__product__is_published=True,
        variant__product__category__is_published=True,
        quantity__gt=F("allocated") + F("reserved"),
    ).order_by("variant_id")[:50]
    Stock.objects.filter(pk__in=[stock.pk for stock in stocks]).update(quantity=F("quantity") + 1000)
    zone = ShippingZone.objects.exclude(countries=[]).order_by("pk").first()
    if zone is None:
        raise SystemExit("no shipping zone: run `make demo` first")
    return sorted({stock.variant_id for stock in stocks}), zone.countries[0]


def _watch_gc() -> dict[int, list[float]]:
    """Pauses of the garbage collector (ms) by generation, while the flows run."""
    pauses: dict[int, list[float]] = defaultdict(list)
    started: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            pauses[info["generation"]].append((time.perf_counter() - started.pop()) * 1000)

    gc.callbacks.append(callback)
    return pauses


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", choices=STEPS)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sql", choices=STEPS, help="print the statements of this step's last request")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key, e.g. tottime")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() after the warm-up")
    parser.add_argument(
        "--settle",
        action="store_true",
        help="settle the heap before the warm-up, as config/wsgi.py does in a server process",
    )
    parser.add_argument("--callers", help="also print who calls functions matching this pattern")
    args = parser.parse_args()
    source = ROOT / "var" / "shopstack.sqlite3"
    if not source.exists():
        raise SystemExit(f"{source} is missing: run `make demo` first")
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "profile.sqlite3"
        import sqlite3

        with sqlite3.connect(source) as src, sqlite3.connect(database) as dst:
            src.backup(dst)
        _configure(database)
        variants, country = _sellable()
        if args.settle:
            from shopstack.core.runtime import settle_heap

            settle_heap()
        warm = Flow(None)
        for n in range(args.warmup):
            warm.run(variants[n % len(variants)], country)
        flow = Flow(args.profile)
        print(f"objects tracked by the collector after warm-up: {len(gc.get_objects()):,}")
        if args.freeze:
            gc.collect()
            gc.freeze()
        collections = _watch_gc()
        for n in range(args.flows):
            flow.run(variants[n % len(variants)], country)
        gc.callbacks.clear()
    print(f"{args.flows} flows, CPU ms of this process per request (median / p95), queries")
    for step in STEPS:
        cpu, queries = flow.cpu[step], flow.queries[step]
        print(
            f"  {step:<12} {statistics.median(cpu):7.1f} / {_percentile(cpu, 95):7.1f}   "
            f"{statistics.median(queries):.0f} queries"
        )
    total = sum(statistics.median(flow.cpu[step]) for step in STEPS)
    print(f"  {'flow':<12} {total:7.1f}")
    for generation in sorted(collections):
        pauses = collections[generation]
        print(
            f"  gc generation {generation}: {len(pauses)} collections, "
            f"{sum(pauses):.1f} ms in all, longest {max(pauses):.1f} ms"
        )
    if args.sql:
        for number, sql in enumerate(flow.last_sql[args.sql], start=1):
            print(f"{number:3} {sql[:220]}")
    if args.profile:
        out = io.StringIO()
        stats = pstats.Stats(flow.profiler, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        print(out.getvalue())
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
