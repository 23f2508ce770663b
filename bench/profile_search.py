"""Where a search or an autocomplete spends its time: the search bench's query mix in one
process, no server.

    .venv/bin/python -m bench.profile_search [--size 100k] [--engine tantivy] [--reps 5]
        [--profile search|suggest] [--sort tottime] [--top 40] [--sql TEXT]
        [--database-url postgres://postgres@127.0.0.1:5432/<copy of a bench database>]

Runs the 28 searches and 14 prefixes of bench/search.py (through `search_products` and
`search_suggest`, as the bench does) against the bench's cached database for `--size`
(`var/bench-search/<size>.sqlite3`, so one `python -m bench.run --search --sizes <size>` must
have made it and its index), warm, and prints the median and p95 wall and CPU time
(`time.process_time`, which other work on the machine moves less than wall time) of each
kind, and the queries per call. `--profile` adds cProfile's top functions over all calls of
that kind; `--sql TEXT` prints the statements of the search for TEXT.

A tool for finding the cost; the figures to report come from `python -m bench.run --search`.
The searches are logged into the bench database, as the bench's own are.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _configure(size: str, engine: str, database_url: str | None = None) -> None:
    from bench.search import CACHE, ENGINES

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    for name in ("REDIS_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    if database_url:
        # A PostgreSQL database of the bench (or a copy of one: the searches are logged into
        # it and it is migrated), with the postgres engine and the in-process cache.
        os.environ["DATABASE_URL"] = database_url
        os.environ["SEARCH_BACKEND"] = ENGINES["postgres"]
    else:
        database = CACHE / f"{size}.sqlite3"
        if not database.exists():
            raise SystemExit(
                f"{database} is missing: run `python -m bench.run --search --sizes {size}` first"
            )
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
        os.environ["SEARCH_BACKEND"] = ENGINES[engine]
    os.environ.setdefault("DEBUG", "0")
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)  # the database may predate this checkout's migrations


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--engine", default="tantivy", choices=("fts5", "tantivy"))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--profile", choices=("search", "suggest"))
    parser.add_argument("--sort", default="cumulative", help="pstats sort key, e.g. tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callers", help="also print who calls functions matching this pattern")
    parser.add_argument("--sql", help="print the statements of the search for this text")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL bench database (or a copy: createdb -T shopstack_bench_search_100k ...),"
        " searched with the postgres engine instead of the SQLite file of --size",
    )
    args = parser.parse_args()
    _configure(args.size, args.engine, args.database_url)

    from django.db import connection

    from bench.search import SEARCHES, SUGGESTS
    from shopstack.search.backends.base import SearchFilters
    from shopstack.search.services import search_products, search_suggest

    def one_search(text: str, options: dict[str, Any]) -> None:
        search_products(
            text=text,
            filters=SearchFilters(facets=options.get("facets", {})),
            sort=options.get("sort", "relevance"),
            page=options.get("page", 1),
            per_page=24,
            source="bench",
        )

    calls = [("search", text, lambda t=text, o=options: one_search(t, o)) for text, options in SEARCHES]
    calls += [("suggest", prefix, lambda p=prefix: search_suggest(text=p)) for prefix in SUGGESTS]
    for _kind, _label, call in calls:  # warm
        call()

    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    per_text: dict[str, list[float]] = defaultdict(list)
    statements_of: dict[str, list[tuple[str, float]]] = {}
    profiler = cProfile.Profile()
    for _ in range(args.reps):
        for kind, label, call in calls:
            statements: list[tuple[str, float]] = []

            def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
                began = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    # used within this iteration only
                    statements.append((sql, (time.perf_counter() - began) * 1000))  # noqa: B023

            with connection.execute_wrapper(counter):
                if kind == args.profile:
                    profiler.enable()
                started, started_cpu = time.perf_counter(), time.process_time()
                call()
                elapsed = (time.perf_counter() - started) * 1000
                elapsed_cpu = (time.process_time() - started_cpu) * 1000
                if kind == args.profile:
                    profiler.disable()
            wall[kind].append(elapsed)
            cpu[kind].append(elapsed_cpu)
            queries[kind].append(len(statements))
            per_text[f"{kind} {label}"].append(elapsed)
            statements_of[label] = statements

    engine = "postgres" if args.database_url else args.engine
    print(f"{engine} {args.size}, {args.reps} reps: ms per call (median / p95), queries per call")
    for kind in ("search", "suggest"):
        print(
            f"  {kind:<8} wall {statistics.median(wall[kind]):6.1f} / {_percentile(wall[kind], 95):6.1f}"
            f"   cpu {statistics.median(cpu[kind]):6.1f} / {_percentile(cpu[kind], 95):6.1f}"
            f"   {statistics.median(queries[kind]):.0f} queries (max {max(queries[kind])})"
        )
    slowest = sorted(per_text.items(), key=lambda item: -statistics.median(item[1]))[:8]
    print("  slowest: " + ", ".join(f"{label} {statistics.median(v):.1f}" for label, v in slowest))
    if args.sql:
        for number, (sql, ms) in enumerate(statements_of.get(args.sql, []), start=1):
            print(f"{number:3} {ms:7.1f} ms  {sql[:200]}")
    if args.profile:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        print(out.getvalue())


if __name__ == "__main__":
    main()
