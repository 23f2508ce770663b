"""`make bench`: the pages and API on the production server, the checkout flow, then servers.

    .venv/bin/python -m bench.run              # targets, then the server comparison
    .venv/bin/python -m bench.run --targets    # only the pages and API on scripts/serve
    .venv/bin/python -m bench.run --servers    # only granian vs gunicorn
    .venv/bin/python -m bench.run --checkout   # only the checkout flow (add --tiers both for PostgreSQL)
    .venv/bin/python -m bench.run --search --sizes demo,100k   # only search speed (cached databases)
    .venv/bin/python -m bench.run --analytics --analytics-size 1m   # only analytics (issue 16)
    BENCH_DURATION=3 BENCH_WARMUP=1 BENCH_RUNS=1 .venv/bin/python -m bench.run   # quick look

See bench/README.md for what is measured and why.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from dataclasses import asdict
from types import FrameType
from typing import Any

from bench import analytics, checkout, measure, report, results, search, servers, shop, wrk
from bench.procs import RssSampler, role
from bench.server import ROOT, Server, ServerError, free_port

SERVE = ROOT / "scripts" / "serve"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same road as Ctrl-C, so every `with Server` block stops its server.
    raise KeyboardInterrupt


def run_targets(load: wrk.Load, found: dict[str, object]) -> tuple[dict[str, Any], str]:
    """The six targets on scripts/serve, exactly as `make demo` serves them."""
    rows = [report.TargetResult(t.key, t.label, t.path, t.note) for t in shop.targets(found)]
    port = free_port()
    print(f"\nStarting scripts/serve on 127.0.0.1:{port} (production settings, DEBUG off)...")
    with Server("scripts/serve", [str(SERVE)], port) as server:
        sampler = RssSampler(server.sid).start()
        try:
            measure.run([measure.Job(server, sampler, row) for row in rows], load)
        finally:
            sampler.stop()
        procs = list(sampler.procs.values())
        maxima = sampler.snapshot()
        processes = [
            {
                "pid": p.pid,
                "role": role(p, procs, "granian"),
                "max_rss_mb": round(maxima.get(p.pid, 0.0), 1),
                "cmdline": p.cmdline,
            }
            for p in procs
        ]
        worker_max = measure.server_worker_rss(server, sampler)
    found_checks = report.checks(rows, worker_max)
    ceiling = report.ceiling_rps(rows)
    data: dict[str, Any] = {
        "kind": "targets",
        "date": results.now().isoformat(timespec="seconds"),
        "machine": results.machine(),
        "code": results.code(),
        "server": {"launcher": "scripts/serve", "command": servers.serve_granian_command()},
        "load": asdict(load),
        "catalog": found,
        "ceiling_requests_per_s": ceiling,
        "targets": [report.result_dict(r, ceiling) for r in rows],
        "max_worker_rss_mb": worker_max,
        "processes": processes,
        "checks": report.checks_dict(found_checks),
        "load_average_at_end": results.load_average(),
        "leftover_processes_killed": server.leftovers,
    }
    rss_lines = "\n".join(f"- {p['role']} (pid {p['pid']}): max {p['max_rss_mb']} MB" for p in processes)
    markdown = "\n\n".join(
        [
            results.header("Shopstack bench: pages and API on scripts/serve", data),
            f"Server: `{' '.join(data['server']['command'])}` (started by `scripts/serve`, "
            "with the db_worker beside it).",
            report.table(rows),
            "Checks:\n" + report.check_lines(found_checks),
            "RSS of every process of the server (VmRSS, sampled every 0.5 s during and after the load):\n"
            + rss_lines,
        ]
    )
    return data, markdown


def run_analytics(load: wrk.Load, size: str, *, spark: bool, strict: bool) -> int:
    """The analytics mode; returns 1 when a target failed and `strict`, else 0."""
    data, markdown = analytics.run(load, size, spark=spark)
    written = results.write("analytics-", data, markdown, results.now())
    print("\n" + markdown + "\n\nWritten: " + ", ".join(str(p.relative_to(ROOT)) for p in written))
    failed = any(not c["passed"] for c in data["checks"] if c["target"])
    return 1 if failed and strict else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--targets", action="store_true", help="only the pages and API")
    only.add_argument("--servers", action="store_true", help="only the server comparison")
    only.add_argument("--checkout", action="store_true", help="only the checkout flow")
    only.add_argument("--search", action="store_true", help="only search speed (issue 5)")
    only.add_argument(
        "--analytics", action="store_true", help="only analytics collection and queries (issue 16)"
    )
    parser.add_argument(
        "--analytics-size",
        default=analytics.DEFAULT_SIZE,
        help="analytics: events in the simulated warehouse, e.g. 10m (default), 1m, 500k",
    )
    parser.add_argument(
        "--no-spark", action="store_true", help="analytics: time the dashboards on DuckDB only"
    )
    parser.add_argument(
        "--sizes",
        default=None,
        help="search: catalog sizes, comma separated, of demo, 100k, 1m (default: all with --search,"
        " demo in a full run)",
    )
    parser.add_argument(
        "--reindex", action="store_true", help="search: rebuild the index of cached databases (timed again)"
    )
    parser.add_argument(
        "--tiers",
        choices=("embedded", "both"),
        default="both" if os.environ.get("BENCH_PG") == "1" else "embedded",
        help="checkout and search: the embedded tier (SQLite in var/) only, or also PostgreSQL + Redis"
        " (BENCH_PG=1)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a check fails")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    load = wrk.Load.from_env()
    failed = False
    try:
        analytics.parse_size(args.analytics_size)
    except ValueError as error:
        parser.error(f"--analytics-size: {error}")
    try:
        found: dict[str, object] = {}
        if args.analytics:
            return run_analytics(load, args.analytics_size, spark=not args.no_spark, strict=args.strict)
        if args.search or not (args.targets or args.servers or args.checkout):
            chosen = args.sizes or (",".join(search.SIZES) if args.search else "demo")
            sizes = [size.strip().lower() for size in chosen.split(",") if size.strip()]
            unknown = sorted(set(sizes) - set(search.SIZES))
            if unknown:
                parser.error(f"unknown size(s) {', '.join(unknown)}: choose from {', '.join(search.SIZES)}")
            tiers = ["sqlite", "postgres"] if args.tiers == "both" else ["sqlite"]
            data, markdown = search.run(tiers, sizes, reindex=args.reindex)
            written = results.write("search-", data, markdown, results.now())
            print("\n" + markdown + "\n\nWritten: " + ", ".join(str(p.relative_to(ROOT)) for p in written))
            failed = any(not c["passed"] for c in data["checks"])
            if args.search:
                return 1 if failed and args.strict else 0
        if not args.checkout:  # the checkout run prepares each tier's database itself
            wrk.ensure_installed()
            found = shop.prepare()
        if not (args.servers or args.checkout):
            data, markdown = run_targets(load, found)
            when = results.now()
            written = results.write("", data, markdown, when)
            print("\n" + markdown + "\n\nWritten: " + ", ".join(str(p.relative_to(ROOT)) for p in written))
            failed = failed or any(not c["passed"] for c in data["checks"])
        if not (args.targets or args.servers):
            tiers = ["sqlite", "postgres"] if args.tiers == "both" else ["sqlite"]
            data, markdown = checkout.run(tiers)
            written = results.write("checkout-", data, markdown, results.now())
            print("\n" + markdown + "\n\nWritten: " + ", ".join(str(p.relative_to(ROOT)) for p in written))
            failed = failed or any(not c["passed"] for c in data["checks"])
        if not (args.targets or args.checkout):
            data, markdown = servers.run(load, found)
            written = results.write("servers-", data, markdown, results.now())
            print("\n" + markdown + "\n\nWritten: " + ", ".join(str(p.relative_to(ROOT)) for p in written))
        if not (args.targets or args.servers or args.checkout or args.search):
            failed = (
                run_analytics(load, args.analytics_size, spark=not args.no_spark, strict=True) != 0 or failed
            )
    except KeyboardInterrupt:
        print("\nInterrupted: every server the bench started has been stopped.", file=sys.stderr)
        return 130
    except (
        wrk.WrkError,
        ServerError,
        checkout.CheckoutError,
        search.SearchBenchError,
        analytics.AnalyticsBenchError,
    ) as error:
        print(f"\nbench: {error}", file=sys.stderr)
        return 2
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
