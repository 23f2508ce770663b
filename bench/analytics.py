"""`python -m bench.run --analytics`: what collecting analytics costs the shop, and how fast
the warehouse answers (issue 16). See bench/README.md, "Analytics".

1. data: a made-up shop of N events and N/10 orders (`manage.py analytics_simulate --scale`),
   made once under var/bench/analytics-<size>/ and reused while its key matches;
2. ingestion: events/s one web process accepts through POST /api/v1/events (batches of 100)
   and the beacon /a/e, and the raw store's append rate;
3. product page throughput with tracking on and off, two servers loaded in turn;
4. compaction time per million events;
5. each dashboard's report, p50/p95, on DuckDB and on Spark local mode.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import results, shop, wrk
from bench.procs import cpu_by_role
from bench.server import ROOT, Server, ServerError, free_port

SERVE = ROOT / "scripts" / "serve"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
MARKER = "BENCH_JSON "
# Moves when the bench's recipe for its data changes (with the simulator's own version).
DATA_VERSION = 1
SEED = 16
DEFAULT_SIZE = "10m"
COMPACTION_EVENTS = 1_000_000
RATIO_TARGET = 0.95
DASHBOARD_TARGET_S = 1.0
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)
# What the servers of this mode run with besides production_env: no rate limit in the way
# of one client address, and the warehouse their task worker compacts into kept apart from
# the demo shop's (so its dashboards do not fill with the bench's requests).
SERVE_ENV = {
    "API_THROTTLE_EVENTS": "100000000/m",
    "ANALYTICS_BEACON_RATE": "100000000/m",
    "ANALYTICS_WAREHOUSE_ROOT": str(ROOT / "var" / "bench" / "serve-warehouse"),
}
VARIANTS = {"all": {}, "country GB": {"country": "GB"}}


class AnalyticsBenchError(RuntimeError):
    """A step could not run; the message says which and why."""


# Pure helpers (tested in bench/test_analytics.py) -------------------------------------------


def parse_size(text: str) -> int:
    """ "10m" -> 10_000_000, "500k" -> 500_000, "2000" -> 2000."""
    value = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(value[-1:], 1)
    number = value[:-1] if scale > 1 else value
    try:
        events = int(float(number) * scale)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (e.g. 10m, 1m, 500k)") from None
    if events < 1_000:
        raise ValueError(f"{text!r}: at least 1k events")
    return events


def size_label(events: int) -> str:
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}m"
    if events % 1_000 == 0:
        return f"{events // 1_000}k"
    return str(events)


def data_key(events: int, orders: int, generator: str) -> dict[str, Any]:
    """What the cached data was made from: any change makes it again."""
    return {
        "bench_data": DATA_VERSION,
        "generator": generator,
        "events": events,
        "orders": orders,
        "seed": SEED,
    }


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (p95 of 5 values is the largest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def seconds_to_wait(now_s: float, run_s: float, margin_s: float = 2.0) -> float:
    """How long to wait so that a run of `run_s` starting after a fresh session cookie ends
    within the same clock minute: the collector renews its cookie once a minute, and a
    replayed cookie from the minute before would make every request a renewal."""
    into = now_s % 60
    if into + run_s + margin_s <= 60:
        return 0.0
    return 60 - into + 0.5


def ratio_summary(on: list[float], off: list[float]) -> dict[str, float | None]:
    """Medians of each side and their ratio, and the median of the run-by-run ratios."""
    if not on or not off:
        return {"on": None, "off": None, "ratio": None, "paired_ratio": None}
    pairs = [a / b for a, b in zip(on, off, strict=False) if b]
    med_on, med_off = statistics.median(on), statistics.median(off)
    return {
        "on": med_on,
        "off": med_off,
        "ratio": med_on / med_off if med_off else None,
        "paired_ratio": statistics.median(pairs) if pairs else None,
    }


def api_batch(size: int = 100) -> dict[str, Any]:
    """A batch of product views as an app sends it; times are relative to `sent_at`, which the
    server corrects to its own clock, so one body stays valid for ever."""
    return {
        "sent_at": "2026-01-01T12:00:00.000Z",
        "events": [
            {
                "event_id": f"bench-{index:04d}-0123456789abcdef",
                "kind": "product_view",
                "occurred_at": f"2026-01-01T11:{index // 60:02d}:{index % 60:02d}.000Z",
                "visitor_id": "bench-visitor-0123456789",
                "session_id": "bench-session-0123456789",
                "device": "phone",
                "path": "/p/bench/",
                "product_id": 1 + index,
            }
            for index in range(size)
        ],
    }


def lua_post(body: str, headers: dict[str, str]) -> str:
    """A wrk script sending one fixed POST (no per-response hook: that costs wrk CPU)."""
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}"]
    lines += [f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items()]
    return "\n".join(lines) + "\n"


# Running things ---------------------------------------------------------------------------


def _child(task: str, arguments: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    proc = subprocess.run(
        [PYTHON, "-m", "bench.analytics_child", task, json.dumps(arguments)],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return dict(json.loads(line[len(MARKER) :]))
    raise AnalyticsBenchError(
        f"{task} failed (exit {proc.returncode}): {(proc.stderr or proc.stdout)[-1500:]}"
    )


def _wrk(load: wrk.Load, url: str, extra: list[str], duration_s: float) -> wrk.WrkResult:
    if not url.startswith(wrk.LOOPBACK_PREFIX):
        raise wrk.WrkError(f"Refusing to load {url}: the bench only sends traffic to 127.0.0.1")
    command = load.command(url, duration_s)
    command[-1:-1] = extra
    proc = subprocess.run(command, capture_output=True, text=True, timeout=duration_s + 60, check=False)
    if proc.returncode != 0:
        raise wrk.WrkError(f"wrk exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[:500]}")
    return wrk.parse(proc.stdout)


def ensure_data(events: int) -> dict[str, Any]:
    from shopstack.analytics.simulate.params import GENERATOR_VERSION  # no Django needed

    orders = max(events // 10, 1)
    folder = ROOT / "var" / "bench" / f"analytics-{size_label(events)}"
    root = folder / "warehouse"
    key = data_key(events, orders, GENERATOR_VERSION)
    key_file = folder / "key.json"
    made: dict[str, Any] = {"root": str(root.relative_to(ROOT)), "key": key, "generated_s": None}
    if key_file.exists() and json.loads(key_file.read_text()) == key and (root / "events").is_dir():
        print(f"  data: reusing {made['root']} ({events:,} events, {orders:,} orders)")
        return made
    print(f"  data: simulating {events:,} events and {orders:,} orders into {made['root']} (once)...")
    key_file.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, "manage.py", "analytics_simulate", "--scale", "--events", str(events),
         "--orders", str(orders), "--seed", str(SEED), "--root", str(root), "--replace", "-v", "0"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise AnalyticsBenchError(f"analytics_simulate failed: {(proc.stderr or proc.stdout)[-1500:]}")
    made["generated_s"] = time.perf_counter() - started
    folder.mkdir(parents=True, exist_ok=True)
    key_file.write_text(json.dumps(key, indent=2) + "\n")
    return made


def _fresh_cookies(base_url: str, path: str) -> str:
    request = urllib.request.Request(base_url + path, headers={"User-Agent": BROWSER})
    with urllib.request.urlopen(request, timeout=10) as response:
        given = response.headers.get_all("Set-Cookie") or []
    return "; ".join(header.split(";", 1)[0] for header in given)


def _web_cpu(server: Server) -> float:
    return cpu_by_role(server.sid, "granian").get("web worker", 0.0)


def product_on_off(load: wrk.Load, path: str, runs: int) -> dict[str, Any]:
    """The product page on a server with tracking on and one with it off, both up at once
    and loaded in turn (the order alternating run by run), so other work on the machine
    falls on both alike. Two kinds of client: a browser (a User-Agent and a returning
    visitor's cookies, fresh before each run) and wrk as it is (no User-Agent, no cookie:
    counted as a bot, anonymously)."""
    found: dict[str, dict[str, list[float]]] = {}
    on_env = {**SERVE_ENV, "ANALYTICS_TRACKING": "on"}
    off_env = {**SERVE_ENV, "ANALYTICS_TRACKING": "off"}
    with (
        Server("tracking on", [str(SERVE)], free_port(), env=on_env) as on,
        Server("tracking off", [str(SERVE)], free_port(), env=off_env) as off,
    ):
        servers = {"on": on, "off": off}
        for server in servers.values():
            _wrk(load, server.base_url + path, [], load.warmup_s)
        for number in range(runs):
            for client in ("browser", "script"):
                order = ("on", "off") if number % 2 == 0 else ("off", "on")
                for side in order:
                    server = servers[side]
                    extra: list[str] = []
                    if client == "browser":
                        time.sleep(seconds_to_wait(time.time(), load.duration_s))
                        cookies = _fresh_cookies(server.base_url, path)
                        extra = ["-H", f"User-Agent: {BROWSER}", "-H", f"Cookie: {cookies}"]
                    before = _web_cpu(server)
                    outcome = _wrk(load, server.base_url + path, extra, load.duration_s)
                    cpu = _web_cpu(server) - before
                    slot = found.setdefault(f"{client}|{side}", {"rps": [], "cpu_us": [], "errors": []})
                    slot["rps"].append(outcome.requests_per_s)
                    slot["cpu_us"].append(cpu / outcome.requests * 1e6 if outcome.requests else 0.0)
                    slot["errors"].append(outcome.error_count)
                    print(
                        f"  run {number + 1}/{runs} product page, {client}, tracking {side}: "
                        f"{outcome.requests_per_s:,.0f} req/s, web CPU {slot['cpu_us'][-1]:.0f} µs/request"
                    )
    summary: dict[str, Any] = {"runs": found}
    for client in ("browser", "script"):
        on_runs, off_runs = found[f"{client}|on"], found[f"{client}|off"]
        summary[client] = {
            "throughput": ratio_summary(on_runs["rps"], off_runs["rps"]),
            # CPU per request off / on: the share of the page's work left with tracking on.
            "cpu_per_request": ratio_summary(off_runs["cpu_us"], on_runs["cpu_us"]),
            "errors": sum(on_runs["errors"]) + sum(off_runs["errors"]),
        }
    return summary


def ingestion(load: wrk.Load, runs: int) -> dict[str, Any]:
    """Events/s that one web process (WEB_WORKERS=1) accepts through the events API and the
    beacon, loaded in turn."""
    batch = api_batch()
    scripts = {
        "events API (batches of 100)": (
            "/api/v1/events",
            lua_post(json.dumps(batch), {"Content-Type": "application/json"}),
            len(batch["events"]),
        ),
        "beacon /a/e": (
            "/a/e",
            lua_post(
                json.dumps({"path": "/p/bench/", "engaged_ms": 15230}),
                {"Content-Type": "text/plain;charset=UTF-8", "Sec-Fetch-Site": "same-origin"},
            ),
            1,
        ),
    }
    found: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="shopstack-bench-lua-") as folder:
        env = {**SERVE_ENV, "WEB_WORKERS": "1"}
        with Server("one web process", [str(SERVE)], free_port(), env=env) as server:
            paths = {}
            for name, (path, script, _per) in scripts.items():
                paths[name] = Path(folder) / f"{len(paths)}.lua"
                paths[name].write_text(script)
                _wrk(load, server.base_url + path, ["-s", str(paths[name])], load.warmup_s)
            for number in range(runs):
                for name, (path, _script, per) in scripts.items():
                    before = _web_cpu(server)
                    outcome = _wrk(load, server.base_url + path, ["-s", str(paths[name])], load.duration_s)
                    cpu = _web_cpu(server) - before
                    slot = found.setdefault(name, {"events_per_s": [], "requests_per_s": [], "errors": 0})
                    slot["requests_per_s"].append(outcome.requests_per_s)
                    slot["events_per_s"].append(outcome.requests_per_s * per)
                    slot.setdefault("web_cpu_us_per_event", []).append(
                        cpu / (outcome.requests * per) * 1e6 if outcome.requests else 0.0
                    )
                    slot["errors"] += outcome.error_count
                    print(
                        f"  run {number + 1}/{runs} {name}: {outcome.requests_per_s * per:,.0f} events/s"
                        f"{f', {outcome.error_count} errors' if outcome.error_count else ''}"
                    )
    for slot in found.values():
        slot["median_events_per_s"] = statistics.median(slot["events_per_s"])
        slot["median_web_cpu_us_per_event"] = statistics.median(slot["web_cpu_us_per_event"])
    return found


def dashboard_rows(timed: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per dashboard and variant: cold time, p50 and p95 of the warm runs."""
    rows = []
    for key, slot in timed.get("times", {}).items():
        dashboard, variant = key.split("|", 1)
        warm = slot.get("warm", [])
        rows.append(
            {
                "dashboard": dashboard,
                "variant": variant,
                "cold_s": slot["cold"][0] if slot.get("cold") else None,
                "p50_s": percentile(warm, 0.5),
                "p95_s": percentile(warm, 0.95),
                "runs": len(warm),
            }
        )
    for key, error in timed.get("errors", {}).items():
        dashboard, variant = key.split("|", 1)
        rows.append({"dashboard": dashboard, "variant": variant, "error": error})
    return rows


def run(load: wrk.Load, size: str, *, spark: bool = True) -> tuple[dict[str, Any], str]:
    from bench import analytics_report

    events = parse_size(size)
    machine = results.machine()
    data: dict[str, Any] = {
        "kind": "analytics",
        "date": results.now().isoformat(timespec="seconds"),
        "machine": machine,
        "code": results.code(),
        "load": asdict(load),
        "size": size_label(events),
    }
    print(
        f"\nAnalytics bench at {size_label(events)} events (load average {machine['load_average_at_start']})"
    )
    made = ensure_data(events)
    data["data"] = made
    data["data"]["summary"] = _child("summary", {"root": str(ROOT / made["root"])}, 600)
    runs = int(os.environ.get("BENCH_ANALYTICS_RUNS", max(load.runs, 5)))
    print("Raw store append and compaction (no server running)...")
    data["store"] = _child(
        "store", {"root": str(ROOT / made["root"]), "events": min(events, COMPACTION_EVENTS)}, 3600
    )
    wrk.ensure_installed()
    found = shop.prepare()
    product = shop.targets(found)[3]
    if product.path is None:
        raise AnalyticsBenchError("no published product in the demo database to load")
    print(f"Product page, tracking on and off ({runs} runs each, interleaved)...")
    data["product_page"] = {"path": product.path, **product_on_off(load, product.path, runs)}
    print(f"Ingestion by one web process ({runs} runs each)...")
    data["ingestion"] = ingestion(load, runs)
    summary = data["data"]["summary"]
    end = summary["last_day"]
    reps = int(os.environ.get("BENCH_ANALYTICS_REPS", "5"))
    engines = [("duckdb", reps)]
    if spark:
        engines.append(("spark", int(os.environ.get("BENCH_ANALYTICS_SPARK_REPS", "2"))))
    data["dashboards"] = {}
    for engine, count in engines:
        print(f"Dashboards on {engine} ({count} warm rounds after a cold one)...")
        arguments = {"root": str(ROOT / made["root"]), "engine": engine, "end": end, "reps": count}
        try:
            timed = _child("dashboards", {**arguments, "variants": VARIANTS}, 7200)
        except (AnalyticsBenchError, subprocess.TimeoutExpired) as error:
            data["dashboards"][engine] = {"error": str(error)[-1500:], "rows": []}
            continue
        data["dashboards"][engine] = {**timed, "rows": dashboard_rows(timed)}
    data["checks"] = analytics_report.checks(data)
    data["load_average_at_end"] = results.load_average()
    return data, analytics_report.markdown(data)


__all__ = ["AnalyticsBenchError", "ServerError", "run"]
