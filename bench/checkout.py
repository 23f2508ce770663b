"""The checkout flow under concurrent simulated shoppers (issue 4, section Benchmark).

Each shopper is a thread with one keep-alive HTTP connection to `scripts/serve`; it
repeats the guest flow of the public API for a fixed time:

    POST /api/v1/cart/lines                      add_to_cart (gets the X-Cart-Token)
    POST /api/v1/checkout                        start (reserves the stock)
    PUT  /api/v1/checkout/{token}/contact        contact
    PUT  /api/v1/checkout/{token}/address        address (answers the shipping options)
    PUT  /api/v1/checkout/{token}/shipping-method  shipping
    POST /api/v1/checkout/{token}/place          place (test gateway token `tok_success`)

The payment is then authorized by the task worker. An anonymous API client has no way
to read its order (the orders API needs a signed-in customer), so "confirmed" is read
from the database after the load, in a child process: the order's `confirmed` event
time minus its `placed_at` is the place -> confirmed time.

Between two requests a shopper thinks for a random time (`BENCH_THINK_SECONDS`, by
default uniformly 1 to 3 s), as people do; `0` sends the next request at once, which
saturates the 2-core server and measures its queue rather than its requests.

Two times are kept per request: the SERVER time, read from the `Server-Timing: app;dur=`
header the shop adds to every response (with `db;dur=` as the server runs with
SERVER_TIMING_DB=1), and the CLIENT latency on loopback (request sent to answer read),
which also holds the time the request waited for a free worker and the bench's own
threads sharing the cores. The target is checked on the server time.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from bench import results, shop
from bench.checkout_shopper import Shopper
from bench.checkout_stats import (
    STEPS,
    StepStats,
    Think,
    _round,
    check,
    check_line,
    percentile,
    server_timing,
    table,
    think_settings,
)
from bench.procs import cpu_by_role, machine_busy_seconds
from bench.server import HOST, ROOT, Server, free_port, production_env

__all__ = [
    "STEPS",
    "CheckoutError",
    "StepStats",
    "Think",
    "check",
    "check_line",
    "percentile",
    "run",
    "server_timing",
    "table",
    "think_settings",
]

SERVE = ROOT / "scripts" / "serve"
PG_URL = "postgres://postgres@127.0.0.1:5432/shopstack_bench"
REDIS_URL = "redis://127.0.0.1:6379/12"
TOP_UP = 100_000  # units added to each variant the shoppers buy, so stock never runs out
DEFAULT_THINK = "1-3"

# Picks in-stock variants of published products, tops their stock up (the bench database
# is the bench's to change) and a country a shipping zone covers. One JSON line.
_SETUP = r"""
import json
import django

django.setup()
from django.db.models import F
from shopstack.inventory.models import Stock
from shopstack.shipping.models import ShippingZone

limit, top_up = LIMIT, TOP_UP
stocks = (
    Stock.objects.filter(
        variant__product__is_published=True,
        variant__product__category__is_published=True,
        quantity__gt=F("allocated") + F("reserved"),
    )
    .order_by("variant_id")
    .values_list("pk", "variant_id")
)
seen, pks = [], []
for pk, variant_id in stocks:
    if variant_id not in seen:
        seen.append(variant_id)
        pks.append(pk)
    if len(seen) >= limit:
        break
Stock.objects.filter(pk__in=pks).update(quantity=F("quantity") + top_up)
countries = []
for zone in ShippingZone.objects.all():
    countries += zone.countries if isinstance(zone.countries, list) else []
print("BENCH_JSON " + json.dumps({"variants": seen, "countries": countries}))
"""

# Status, placed_at and confirmed time of the orders the shoppers placed. One JSON line.
_ORDERS = r"""
import json, sys
import django

django.setup()
from shopstack.orders.models import Order, OrderEvent

numbers = json.loads(sys.stdin.read())
out = {}
for number, status, placed in Order.objects.filter(number__in=numbers).values_list(
    "number", "status", "placed_at"
):
    out[number] = {"status": status, "placed_at": placed.timestamp(), "confirmed_at": None}
events = OrderEvent.objects.filter(order__number__in=numbers, kind="confirmed")
for number, created in events.values_list("order__number", "created_at"):
    out[number]["confirmed_at"] = created.timestamp()
print("BENCH_JSON " + json.dumps(out))
"""

PENDING = {"placed", "authorizing"}


class CheckoutError(RuntimeError):
    """The shop could not be set up for the checkout flow."""


# Running one tier ---------------------------------------------------------------------------


def _child_json(script: str, stdin: str = "") -> dict[str, Any]:
    proc = subprocess.run(
        [shop.PYTHON, "-c", script],
        cwd=ROOT,
        env=production_env(0),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(shop.MARKER):
            return dict(json.loads(line[len(shop.MARKER) :]))
    raise CheckoutError((proc.stderr or proc.stdout).strip()[-800:] or f"exit {proc.returncode}")


def setup_stock(limit: int = 200) -> dict[str, Any]:
    script = _SETUP.replace("LIMIT", str(limit)).replace("TOP_UP", str(TOP_UP))
    return _child_json(script)


def order_outcomes(numbers: list[str]) -> dict[str, Any]:
    return _child_json(_ORDERS, json.dumps(numbers)) if numbers else {}


@contextmanager
def tier_env(tier: str) -> Iterator[None]:
    """The environment of a tier, for the children the bench starts (prepare, server)."""
    changes = {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL} if tier == "postgres" else {}
    # The database's share of each request comes with the server time (about 1 us per query).
    changes["SERVER_TIMING_DB"] = "1"
    names = ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "SHOP_BASE_URL", "SERVER_TIMING_DB")
    saved = {k: os.environ.get(k) for k in names}
    for k in saved:
        os.environ.pop(k, None)
    os.environ.update(changes)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def ensure_pg_database() -> None:
    name = PG_URL.rsplit("/", 1)[1]
    listed = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-Atc",
            f"select 1 from pg_database where datname='{name}'",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        raise CheckoutError(f"PostgreSQL is not reachable: {listed.stderr.strip()}")
    if listed.stdout.strip() != "1":
        print(f"  creating database {name}")
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def run_tier(
    tier: str, shoppers: int, seconds: float, thinks: Sequence[Think], grace_s: float = 60.0
) -> list[dict[str, Any]]:
    """One server per tier; one load run per think-time setting on it."""
    print(f"\n== checkout on the {tier} tier ==")
    with tier_env(tier):
        if tier == "postgres":
            ensure_pg_database()
        shop.prepare()
        found = setup_stock()
        variants, countries = found["variants"], found["countries"]
        if not variants:
            raise CheckoutError("no in-stock variant of a published product")
        country = "GB" if "GB" in countries or not countries else countries[0]
        port = free_port()
        # The shop reaches the test gateway (mounted in itself) over HTTP at SHOP_BASE_URL:
        # it must be this server's port, not the default 8000.
        os.environ["SHOP_BASE_URL"] = f"http://{HOST}:{port}"
        print(f"Starting scripts/serve on 127.0.0.1:{port}; {shoppers} shoppers for {seconds:g} s...")
        with Server("scripts/serve", [str(SERVE)], port) as server:
            lock = threading.Lock()
            # A short warm-up (every worker imports and connects), not counted.
            warm = {name: StepStats() for name in STEPS}
            warm_placed: list[str] = []
            warmers = [
                Shopper(1000 + i, port, variants, country, time.monotonic() + 3, warm, warm_placed, lock)
                for i in range(min(shoppers, 4))
            ]
            for w in warmers:
                w.start()
            for w in warmers:
                w.join()
            runs = []
            for think in thinks:
                print(f"  {shoppers} shoppers, {think.label}, {seconds:g} s...")
                runs.append(
                    _load(port, server.sid, variants, country, shoppers, seconds, think, lock, grace_s)
                )
                runs[-1]["server_log_tail"] = server.log_tail(10)
        warm_notes = [n for w in warmers for n in w.notes]
    out = []
    for run in runs:
        run.update(
            {
                "tier": tier,
                "database": PG_URL if tier == "postgres" else "sqlite (var/)",
                "cache": REDIS_URL if tier == "postgres" else "default (no REDIS_URL)",
                "variants": len(variants),
                "country": country,
            }
        )
        run["notes"] = (run["notes"] + warm_notes)[:10]
        out.append(run)
    return out


def _load(
    port: int,
    sid: int,
    variants: list[int],
    country: str,
    shoppers: int,
    seconds: float,
    think: Think,
    lock: threading.Lock,
    grace_s: float,
) -> dict[str, Any]:
    """One measured run of `shoppers` for `seconds`, then the orders' outcomes."""
    stats = {name: StepStats() for name in STEPS}
    placed: list[str] = []
    load_start = results.load_average()
    cpu_start = _cpu_snapshot(sid)
    start = time.monotonic()
    threads = [
        Shopper(i, port, variants, country, start + seconds, stats, placed, lock, think)
        for i in range(shoppers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    cpu_used = _cpu_used(cpu_start, _cpu_snapshot(sid))
    load_end = results.load_average()
    # Let the worker authorize what was placed.
    deadline = time.monotonic() + grace_s
    outcomes = order_outcomes(placed)
    while time.monotonic() < deadline and any(o["status"] in PENDING for o in outcomes.values()):
        time.sleep(1)
        outcomes = order_outcomes(placed)
    confirmed = [o for o in outcomes.values() if o["confirmed_at"] is not None]
    waits = [(o["confirmed_at"] - o["placed_at"]) * 1000 for o in confirmed]
    pending = sum(1 for o in outcomes.values() if o["status"] in PENDING)
    minutes = elapsed / 60
    return {
        "shoppers": shoppers,
        "think": think.label,
        "think_seconds": [think.low, think.high],
        "seconds": round(elapsed, 1),
        "steps": {name: s.summary() for name, s in stats.items()},
        "orders": {
            "placed": len(placed),
            "placed_per_min": len(placed) / minutes,
            "confirmed": len(confirmed),
            "confirmed_per_min": len(confirmed) / minutes,
            "pending": pending,
            "other": len(outcomes) - len(confirmed) - pending,
            "confirm_p50_ms": _round(percentile(waits, 50)),
            "confirm_p95_ms": _round(percentile(waits, 95)),
        },
        "load_average_at_start": load_start,
        "load_average_at_end": load_end,
        "cpu_seconds": cpu_used,
        "notes": [n for t in threads for n in t.notes][:10],
    }


def _cpu_snapshot(sid: int) -> dict[str, float]:
    """CPU seconds so far: each server role, this bench process (its shopper threads), and
    every core of the machine (the rest is the database server and anything else)."""
    own = os.times()
    return {
        **cpu_by_role(sid, "granian"),
        "bench client": own.user + own.system,
        "machine": machine_busy_seconds(),
    }


def _cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    used = {k: max(0.0, v - before.get(k, 0.0)) for k, v in after.items()}
    machine = used.pop("machine", 0.0)
    used["other processes"] = max(0.0, machine - sum(used.values()))
    used["machine"] = machine
    return {k: round(v, 2) for k, v in used.items()}


def run(tiers: list[str]) -> tuple[dict[str, Any], str]:
    shoppers = int(os.environ.get("BENCH_SHOPPERS", "16"))
    seconds = float(os.environ.get("BENCH_CHECKOUT_SECONDS", "60"))
    thinks = think_settings(os.environ.get("BENCH_THINK_SECONDS", DEFAULT_THINK))
    machine = results.machine()
    ran = [run for tier in tiers for run in run_tier(tier, shoppers, seconds, thinks)]
    # The target is about shoppers who behave like people; a saturating run (no think time)
    # next to one with think time is reported for its throughput and queueing, not judged.
    judged = [r for r in ran if r["think_seconds"][1] > 0] or ran
    checks = [{"tier": r["tier"], "think": r["think"], **check(r)} for r in ran if r in judged]
    informational = [{"tier": r["tier"], "think": r["think"], **check(r)} for r in ran if r not in judged]
    data: dict[str, Any] = {
        "kind": "checkout",
        "date": results.now().isoformat(timespec="seconds"),
        "machine": machine,
        "code": results.code(),
        "shoppers": shoppers,
        "seconds": seconds,
        "think": [t.label for t in thinks],
        "tiers": ran,
        "checks": checks,
        "not_judged": informational,
    }
    dirty = " (plus uncommitted changes)" if data["code"]["dirty"] else ""
    parts = [
        "# Shopstack bench: checkout flow under concurrent shoppers",
        f"{data['date']} · commit `{data['code']['commit'][:10]}`{dirty} · {machine['cores']} cores "
        f"({machine['cpu']}) · Python {machine['python']} · Django {machine['django']} · "
        f"load average at start: {machine['load_average_at_start']}",
        f"{shoppers} guest shoppers (threads, one keep-alive connection each) repeat add to cart -> "
        "start checkout -> contact -> address -> shipping -> place (test gateway `tok_success`) "
        f"for {seconds:g} s on `scripts/serve` (production settings), after a 3 s warm-up; "
        f"before each request a shopper thinks ({', '.join(data['think'])}). "
        "**Server** times (ms) are the shop's own `Server-Timing: app;dur` (`db` its time in "
        "queries, SERVER_TIMING_DB=1); **client** times are latency on loopback, which adds the "
        "wait for a free worker and the bench's own threads on the same cores.",
    ]
    for r in ran:
        parts += [f"## {r['tier']}, {r['think']} ({r['database']}, cache {r['cache']})", table(r)]
    lines = [check_line(c["tier"], c) for c in checks] + [
        check_line(c["tier"], c) + " (not judged: the saturating run measures queueing)"
        for c in informational
    ]
    parts.append("Checks:\n" + "\n".join(lines))
    return data, "\n\n".join(parts)
