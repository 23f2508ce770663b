"""Search speed at demo size, 100k and 1M products (issue 5): `python -m bench.run --search`.

For each size and tier the bench makes (once, cached) a database holding a synthetic
catalog (`bench/synthetic_catalog.py`) loaded with `manage.py import_catalog`, rebuilds the
search index with `manage.py search_reindex` (timed: documents/s), then, in a child process that holds the
only Django, measures warm latency of `search_products` and `search_suggest` (the service
functions /api/v1/search and /api/v1/search/suggest call) over a fixed query mix, and the
size of the search index. Databases: `var/bench-search/<size>.sqlite3` (embedded tier) and
PostgreSQL `shopstack_bench_search_<size>` with Redis db 13 (scale-out tier).

Engines: the embedded tier is measured with each engine of BENCH_SEARCH_ENGINES (comma
separated, default `fts5,tantivy`), side by side on the same database: SQLite FTS5 and
tantivy (its index in var/search/tantivy-v<format>-<size>.sqlite3/). Both keep the same database
tables, so each engine's rebuild leaves the other's index valid. The scale-out tier runs
PostgreSQL full text.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import results
from bench.checkout import percentile
from bench.server import ROOT
from bench.shop import MARKER, PYTHON

CACHE = ROOT / "var" / "bench-search"
PG_BASE = "postgres://postgres@127.0.0.1:5432/shopstack_bench_search_{size}"
REDIS_URL = "redis://127.0.0.1:6379/13"
SIZES = ("demo", "100k", "1m")
# engine -> the SEARCH_BACKEND it runs with.
ENGINES = {
    "fts5": "shopstack.search.backends.sqlite_fts.SqliteFtsBackend",
    "tantivy": "shopstack.search.backends.tantivy_engine.TantivyBackend",
    "postgres": "shopstack.search.backends.postgres.PostgresBackend",
}
EMBEDDED_ENGINES = ("fts5", "tantivy")
# Targets of issue 5, on the embedded tier: search p95 by size, and suggest p95 at any size.
SEARCH_P95_MS = {"100k": 20.0, "1m": 50.0}
SUGGEST_P95_MS = 10.0

# (text, options) as shoppers send them: plain words, phrases, typos, price phrases,
# attribute phrases, a facet chosen, other sorts, deeper pages.
SEARCHES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("candle", {}),
    ("heart", {}),
    ("bag", {}),
    ("christmas", {}),
    ("mug", {}),
    ("cushion", {}),
    ("glass candle holder", {}),
    ("hanging heart t-light holder", {}),
    ("lunch box", {}),
    ("vintage tea set", {}),
    ("wooden christmas decoration", {}),
    ("candel", {}),
    ("lanten", {}),
    ("chrismas bauble", {}),
    ("cushon cover", {}),
    ("mug under 5", {}),
    ("candle below £10", {}),
    ("cheap gifts", {}),
    ("bag between 10 and 20", {}),
    ("red mug", {}),
    ("blue glass vase", {}),
    ("pink bag", {}),
    ("wooden box", {}),
    ("heart", {"facets": {"color": ("red",)}}),
    ("candle", {"sort": "price"}),
    ("bag", {"sort": "best_selling", "page": 3}),
    ("set", {}),
    ("zzqx unicorn spaceship", {}),
)
SUGGESTS: tuple[str, ...] = (
    "c", "ca", "can", "cand", "hea", "heart h", "chri", "lun", "mu", "red h", "gla", "woo", "vin", "bag",
)  # fmt: skip


class SearchBenchError(Exception):
    """A child process of the search bench failed; the message holds the end of its output."""


def engines_for(tier: str) -> list[str]:
    """The engines measured on a tier: BENCH_SEARCH_ENGINES on the embedded one."""
    if tier == "postgres":
        return ["postgres"]
    chosen = [
        e.strip() for e in os.environ.get("BENCH_SEARCH_ENGINES", ",".join(EMBEDDED_ENGINES)).split(",")
    ]
    unknown = sorted(set(chosen) - set(EMBEDDED_ENGINES))
    if unknown:
        raise SearchBenchError(
            f"unknown engine(s) {', '.join(unknown)}: choose from {', '.join(EMBEDDED_ENGINES)}"
        )
    return [engine for engine in chosen if engine]


def _env(tier: str, size: str, engine: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "CACHE_URL", "SEARCH_BACKEND"):
        env.pop(name, None)
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "0", "PYTHONUNBUFFERED": "1"})
    env["SEARCH_BACKEND"] = ENGINES[engine or ("postgres" if tier == "postgres" else "fts5")]
    if tier == "postgres":
        env.update({"DATABASE_URL": PG_BASE.format(size=size), "REDIS_URL": REDIS_URL})
    else:
        env["DATABASE_URL"] = f"sqlite:///{CACHE / f'{size}.sqlite3'}"
    return env


def _child(
    tier: str, size: str, *args: str, engine: str | None = None, timeout_s: float = 7200
) -> dict[str, Any]:
    proc = subprocess.run(
        [PYTHON, "-m", "bench.search", "--child", *args],
        cwd=ROOT,
        env=_env(tier, size, engine),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return dict(json.loads(line[len(MARKER) :]))
    raise SearchBenchError((proc.stderr or proc.stdout).strip()[-1500:] or f"exit {proc.returncode}")


def _manage(tier: str, size: str, *args: str) -> None:
    proc = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=_env(tier, size),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise SearchBenchError(f"manage.py {' '.join(args)}: {(proc.stderr or proc.stdout).strip()[-1500:]}")


def _pg_database(size: str, *, fresh: bool) -> None:
    name = PG_BASE.format(size=size).rsplit("/", 1)[1]
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc"]
    listed = subprocess.run(
        [*psql, f"select 1 from pg_database where datname='{name}'"], capture_output=True, text=True
    )
    exists = listed.stdout.strip() == "1"
    if exists and fresh:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        exists = False
    if not exists:
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)


def catalog_file(size: str) -> Path:
    path = CACHE / f"catalog-{size}.csv"
    if not path.exists():
        from bench import synthetic_catalog

        print(f"  generating {path.relative_to(ROOT)}")
        partial = path.with_suffix(".part")
        with partial.open("w", newline="", encoding="utf-8") as handle:
            synthetic_catalog.write(synthetic_catalog.size_of(size), handle)
        partial.rename(path)
    return path


def prepare(tier: str, size: str, *, reindex: bool, engine: str | None = None) -> dict[str, Any]:
    """The tier's database for this size, loaded and indexed by `engine` (the tier's default
    when None); cached across runs."""
    CACHE.mkdir(parents=True, exist_ok=True)
    state_path = CACHE / f"{size}-{tier}.json"
    state: dict[str, Any] = json.loads(state_path.read_text()) if state_path.exists() else {}
    if not state.get("loaded"):
        csv_path = catalog_file(size)
        if tier == "postgres":
            _pg_database(size, fresh=True)
        else:
            (CACHE / f"{size}.sqlite3").unlink(missing_ok=True)
        print(f"  [{tier} {size}] migrate")
        _manage(tier, size, "migrate", "--no-input", "--skip-checks", "-v", "0")
        print(f"  [{tier} {size}] load {csv_path.name}")
        state = {"loaded": _child(tier, size, "load", str(csv_path))}
        state_path.write_text(json.dumps(state, indent=2))
    else:
        _manage(tier, size, "migrate", "--no-input", "--skip-checks", "-v", "0")
    # The first engine's rebuild is "reindex" (the key runs before engines had names).
    key = "reindex" if engine in (None, "fts5", "postgres") else f"reindex-{engine}"
    # A tantivy index of this format may be missing beside a database indexed by an earlier
    # one (the directory's name carries the format): it is built again.
    missing = engine == "tantivy" and not _child(tier, size, "index-exists", engine=engine)["exists"]
    if reindex or key not in state or missing:
        print(f"  [{tier} {size}] search_reindex ({engine or 'default engine'})")
        state[key] = _child(tier, size, "reindex", engine=engine)
        state_path.write_text(json.dumps(state, indent=2))
    return {**state, "reindex": state[key]}


def _machine() -> dict[str, Any]:
    """The machine as results.machine() gives it, without asking for wrk (not needed here)."""
    from importlib import metadata

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "django": metadata.version("django"),
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": results.load_average(),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _verdict(value: float | None, limit: float) -> str:
    return "-" if value is None else ("PASS" if value <= limit else "FAIL")


def checks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for row in rows:
        limit = SEARCH_P95_MS.get(row["size"])
        where = f"{row['tier']} {row.get('engine', '')}".strip() + f", {row['size']}"
        if limit is not None and row["tier"] == "sqlite":
            value = row["search"]["p95_ms"]
            found.append(_check(f"search p95 <= {limit:g} ms ({where})", value, limit))
        value = row["suggest"]["p95_ms"]
        found.append(_check(f"suggest p95 <= {SUGGEST_P95_MS:g} ms ({where})", value, SUGGEST_P95_MS))
    return found


def _check(name: str, value: float | None, limit: float) -> dict[str, Any]:
    return {
        "name": name,
        "value_ms": value,
        "limit_ms": limit,
        "passed": value is not None and value <= limit,
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| tier | engine | size | products | search p50 | search p95 | suggest p50 | suggest p95"
        " | reindex (docs/s) | text index | search tables |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        index = row["index"]
        lines.append(
            f"| {row['tier']} | {row.get('engine', '-')} | {row['size']} | {row['products']:,} |"
            f" {_ms(row['search']['p50_ms'])} ms |"
            f" {_ms(row['search']['p95_ms'])} ms | {_ms(row['suggest']['p50_ms'])} ms |"
            f" {_ms(row['suggest']['p95_ms'])} ms | {row['reindex']['docs_per_s']:,.0f}"
            f" ({row['reindex']['seconds']:.0f} s) | {index['text_bytes'] / 1e6:.1f} MB |"
            f" {index['total_bytes'] / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


def slowest(rows: list[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        worst = sorted(row["search"]["per_query"].items(), key=lambda item: -item[1])[:5]
        shown = ", ".join(f"`{text}` {ms:.1f}" for text, ms in worst)
        lines.append(f"- {row['tier']} {row.get('engine', '')} {row['size']}: {shown}")
    writes = [
        f"- {row['tier']} {row.get('engine', '')} {row['size']}: p50 {_ms(row['log_write']['p50_ms'])} ms,"
        f" p95 {_ms(row['log_write']['p95_ms'])} ms"
        for row in rows
        if row.get("log_write")
    ]
    shown = "Slowest searches (median ms per query):\n" + "\n".join(lines)
    if writes:
        shown += "\n\nSearch log write, after the response (not in the search times):\n" + "\n".join(writes)
    return shown


def run(
    tiers: Sequence[str], sizes: Sequence[str], *, reindex: bool = False, reps: int = 5
) -> tuple[dict[str, Any], str]:
    started = results.now()
    machine = _machine()
    rows = []
    for tier in tiers:
        for size in sizes:
            for engine in engines_for(tier):
                print(f"\n== search on {tier} ({engine}), {size} ==")
                state = prepare(tier, size, reindex=reindex, engine=engine)
                print(f"  [{tier} {size}] measure {engine}")
                measured = _child(tier, size, "measure", str(reps), engine=engine)
                rows.append(
                    {
                        "tier": tier,
                        "engine": engine,
                        "size": size,
                        "products": measured["products"],
                        "load": state["loaded"],
                        "reindex": state["reindex"],
                        **measured,
                    }
                )
    found = checks(rows)
    data = {
        "kind": "search",
        "date": started.isoformat(timespec="seconds"),
        "machine": machine,
        "code": results.code(),
        "command": f"BENCH_SEARCH_ENGINES={','.join(engines_for('sqlite'))} python -m bench.run --search "
        + f"--sizes {','.join(sizes)} --tiers {'both' if len(tiers) > 1 else 'embedded'}",
        "reps": reps,
        "searches": [[text, dict(options)] for text, options in SEARCHES],
        "suggests": list(SUGGESTS),
        "rows": rows,
        "checks": found,
        "load_average_at_end": results.load_average(),
    }
    m, c = machine, data["code"]
    dirty = " (plus uncommitted changes)" if c["dirty"] else ""
    markdown = "\n\n".join(
        [
            "# Shopstack bench: search speed",
            f"{data['date']} · commit `{c['commit'][:10]}`{dirty} · {m['cores']} cores ({m['cpu']}) ·"
            f" Python {m['python']} · Django {m['django']} · load average at start"
            f" {m['load_average_at_start']}, at end {data['load_average_at_end']}",
            f"Command: `{data['command']}`. Warm, in one child process per tier and size, through"
            f" `search_products` / `search_suggest` (what the API views call; the search log row is"
            " written after the response, as in a request, and timed apart: log write);"
            f" {len(SEARCHES)} searches x {reps} and {len(SUGGESTS)} prefixes x {reps}, interleaved."
            " Reindex: `search_reindex` over the whole catalog. Text index: FTS5 shadow tables"
            " (dbstat), `search_pg_text` or tantivy's index directory; search tables: every table and"
            " index of the search app (plus tantivy's directory for that engine).",
            "Load average is noisy (2 cores shared with other work): compare engines within a size.",
            table(rows),
            "Targets:\n"
            + "\n".join(
                f"- {'PASS' if c['passed'] else 'FAIL'}: {c['name']}: {_ms(c['value_ms'])} ms" for c in found
            ),
            slowest(rows),
        ]
    )
    return data, markdown


# The child: Django runs here only ------------------------------------------------------------


def _child_main(args: list[str]) -> dict[str, Any]:
    import django

    django.setup()
    mode = args[0]
    if mode == "load":
        from django.core.management import call_command

        from shopstack.catalog.models import Product

        started = time.perf_counter()
        call_command("import_catalog", args[1], "--batch-size", "2000", verbosity=0)
        seconds = time.perf_counter() - started
        count = Product.objects.count()
        return {"products": count, "seconds": round(seconds, 1), "loader": "manage.py import_catalog"}
    if mode == "reindex":
        from django.core.management import call_command

        from shopstack.search.indexing import index_sync
        from shopstack.search.models import SearchDocument

        started = time.perf_counter()
        call_command("search_reindex", verbosity=0)
        seconds = time.perf_counter() - started
        count = SearchDocument.objects.count()
        # What the task worker does after a bulk change: catch the sync watermark up, so the
        # measured searches do not each look at the products the import stamped just before.
        index_sync(limit=None)
        return {"documents": count, "seconds": round(seconds, 1), "docs_per_s": round(count / seconds, 1)}
    if mode == "measure":
        return _measure(int(args[1]))
    if mode == "index-exists":
        # Read without IndexStore, which would make an empty index (and forget the documents).
        import tantivy

        from shopstack.search.backends.tantivy_engine.store import default_directory

        path = default_directory()
        exists = (
            path.is_dir()
            and tantivy.Index.exists(str(path))
            and tantivy.Index.open(str(path)).searcher().num_docs > 0
        )
        return {"exists": exists}
    raise SystemExit(f"unknown child mode {mode!r}")


def _measure(reps: int) -> dict[str, Any]:
    from shopstack.catalog.models import Product
    from shopstack.search.backends.base import SearchFilters
    from shopstack.search.log import PendingRows, search_log_kept
    from shopstack.search.services import search_products, search_suggest

    def one_search(text: str, options: dict[str, Any]) -> None:
        filters = SearchFilters(facets=options.get("facets", {}))
        search_products(
            text=text, filters=filters, sort=options.get("sort", "relevance"), page=options.get("page", 1),
            per_page=24, source="bench",
        )  # fmt: skip

    for text, options in SEARCHES:  # warm: caches, prepared plans, pages in memory
        one_search(text, options)
    for prefix in SUGGESTS:
        search_suggest(text=prefix)
    searches: dict[str, list[float]] = {text + _label(options): [] for text, options in SEARCHES}
    suggests: dict[str, list[float]] = {prefix: [] for prefix in SUGGESTS}
    log_writes: list[float] = []
    for _ in range(reps):
        for text, options in SEARCHES:
            # As in a request: the search log row is written after the response (when the
            # server closes it), so it is timed apart.
            pending = PendingRows()
            with search_log_kept(pending):
                started = time.perf_counter()
                one_search(text, options)
                searches[text + _label(options)].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            if pending.flush():
                log_writes.append((time.perf_counter() - started) * 1000)
        for prefix in SUGGESTS:
            started = time.perf_counter()
            search_suggest(text=prefix)
            suggests[prefix].append((time.perf_counter() - started) * 1000)
    return {
        "products": Product.objects.filter(is_published=True).count(),
        "search": _summary(searches),
        "suggest": _summary(suggests),
        "log_write": _summary({"log": log_writes}) if log_writes else None,
        "index": _index_size(),
    }


def _label(options: dict[str, Any]) -> str:
    return "" if not options else " [" + ", ".join(f"{k}={v}" for k, v in sorted(options.items())) + "]"


def _summary(samples: dict[str, list[float]]) -> dict[str, Any]:
    every = [value for values in samples.values() for value in values]
    return {
        "count": len(every),
        "p50_ms": _round(percentile(every, 50)),
        "p95_ms": _round(percentile(every, 95)),
        "max_ms": _round(max(every)),
        "per_query": {key: _round(percentile(values, 50)) for key, values in samples.items()},
    }


def _index_size() -> dict[str, int]:
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name")
            sizes = dict(cursor.fetchall())
            cursor.execute("SELECT name, tbl_name FROM sqlite_master")
            owner = dict(cursor.fetchall())
            text = sum(v for k, v in sizes.items() if k.startswith("search_fts"))
            total = sum(
                v
                for k, v in sizes.items()
                if (k.startswith("search_") or owner.get(k, "").startswith("search_"))
                and "searchquery" not in owner.get(k, k)
            )
        else:
            cursor.execute("SELECT pg_total_relation_size('search_pg_text')")
            text = cursor.fetchone()[0]
            cursor.execute(
                "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c"
                " WHERE c.relkind = 'r' AND c.relname LIKE 'search\\_%%'"
                " AND c.relname <> 'search_searchquery'"
            )
            total = cursor.fetchone()[0]
    if settings.SEARCH["BACKEND"] == ENGINES["tantivy"]:
        # tantivy's directory instead of the other engine's text index (left in the database).
        from shopstack.search.backends.tantivy_engine.store import default_directory

        directory = sum(p.stat().st_size for p in default_directory().rglob("*") if p.is_file())
        return {"text_bytes": directory, "total_bytes": int(total or 0) - int(text or 0) + directory}
    return {"text_bytes": int(text or 0), "total_bytes": int(total or 0)}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(MARKER + json.dumps(_child_main(sys.argv[2:]), default=str), flush=True)
    else:
        sys.exit("run through `python -m bench.run --search`")
