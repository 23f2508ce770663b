"""The analytics bench's checks and its markdown report. Pure: no I/O."""

from __future__ import annotations

from typing import Any

from bench.analytics import DASHBOARD_TARGET_S, RATIO_TARGET, VARIANTS


def _num(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def checks(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 16's targets: product page throughput with tracking on at 95 % or more of off
    (judged on the browser client: wrk's own cookieless requests are reported beside it), and
    every dashboard's p95 on DuckDB at most 1 s."""
    found = []
    page = data.get("product_page", {})
    for client, judged in (("browser", True), ("script", False)):
        ratio = page.get(client, {}).get("throughput", {}).get("ratio")
        name = f"product page, {client}: tracking on >= {RATIO_TARGET:.0%} of off"
        if not judged:
            name += " (reported)"
        found.append(
            {
                "name": name,
                "passed": ratio is not None and ratio >= RATIO_TARGET,
                "detail": "not measured" if ratio is None else f"{ratio:.3f}",
                "target": judged,
            }
        )
    duck = data.get("dashboards", {}).get("duckdb", {})
    rows = [row for row in duck.get("rows", []) if "error" not in row]
    errors = [row for row in duck.get("rows", []) if "error" in row]
    slow = [row for row in rows if row["p95_s"] is None or row["p95_s"] > DASHBOARD_TARGET_S]
    worst = max((row["p95_s"] or 0.0 for row in rows), default=None)
    found.append(
        {
            "name": f"every dashboard's p95 on DuckDB <= {DASHBOARD_TARGET_S:g} s "
            f"at {data.get('size')} events",
            "passed": bool(rows) and not slow and not errors,
            "detail": (
                "not measured"
                if not rows
                else f"slowest {worst:.2f} s; over: "
                + (", ".join(f"{r['dashboard']} ({r['variant']})" for r in slow) or "none")
                + (f"; failed: {len(errors)}" if errors else "")
            ),
            "target": True,
        }
    )
    return found


def _dashboard_table(engines: dict[str, Any]) -> str:
    lines = [
        "| dashboard | filter | "
        + " | ".join(f"{name} cold s | {name} p50 s | {name} p95 s" for name in engines)
        + " |",
        "|---|---|" + "---:|---:|---:|" * len(engines),
    ]
    keyed: dict[str, dict[tuple[str, str], dict[str, Any]]] = {
        name: {(row["dashboard"], row["variant"]): row for row in found.get("rows", [])}
        for name, found in engines.items()
    }
    order: list[tuple[str, str]] = []
    for rows in keyed.values():
        order += [key for key in rows if key not in order]
    order.sort(key=lambda key: (list(VARIANTS).index(key[1]) if key[1] in VARIANTS else 99, key[0]))
    for dashboard, variant in order:
        cells = []
        for name in engines:
            row = keyed[name].get((dashboard, variant))
            if row is None:
                cells.append("- | - | -")
            elif "error" in row:
                cells.append(f"failed: {row['error'][:60]} | - | -")
            else:
                cells.append(" | ".join(_num(row[name], ".2f") for name in ("cold_s", "p50_s", "p95_s")))
        lines.append(f"| {dashboard} | {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _data_lines(data: dict[str, Any]) -> str:
    made = data["data"]
    summary = made.get("summary", {})
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in summary.get("kinds", {}).items())
    generated = made.get("generated_s")
    how = f"simulated in {generated:.0f} s this run" if generated else "reused from an earlier run"
    return "\n".join(
        [
            f"Data: `{made['root']}` ({how}; key {made['key']}): {summary.get('events', 0):,} events on "
            f"{summary.get('days')} days ({summary.get('first_day')} to {summary.get('last_day')}), "
            f"{summary.get('orders', 0):,} orders of {summary.get('order_customers', 0):,} customers, "
            f"{summary.get('products_seen', 0):,} products seen, {summary.get('visitors', 0):,} visitors in "
            f"{summary.get('sessions', 0):,} sessions, {summary.get('campaigns', 0)} campaigns, "
            f"{summary.get('countries', 0)} countries, {summary.get('bot_events', 0):,} bot events, "
            f"{summary.get('stock_snapshot_days', 0)} days of stock snapshots.",
            "",
            f"Events by kind: {kinds}.",
        ]
    )


def _page_lines(page: dict[str, Any]) -> str:
    lines = [
        "| client | req/s on | req/s off | on / off (medians) | median of run ratios "
        "| web CPU µs/request on | off | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for client, label in (("browser", "browser (User-Agent, returning visitor's cookies)"),
                          ("script", "wrk as is (no User-Agent, no cookie: a bot)")):  # fmt: skip
        found = page.get(client)
        if not found:
            continue
        rps, cpu = found["throughput"], found["cpu_per_request"]
        lines.append(
            f"| {label} | {_num(rps['on'], ',.0f')} | {_num(rps['off'], ',.0f')} "
            f"| {_num(rps['ratio'], '.3f')} "
            f"| {_num(rps['paired_ratio'], '.3f')} | {_num(cpu['off'], ',.0f')} | {_num(cpu['on'], ',.0f')} "
            f"| {found['errors']} |"
        )
    return "\n".join(lines)


def _ingestion_lines(data: dict[str, Any]) -> str:
    lines = ["| path | events/s (median) | web CPU µs per event | errors |", "|---|---:|---:|---:|"]
    for name, found in data.get("ingestion", {}).items():
        lines.append(
            f"| {name}, one web process | {found['median_events_per_s']:,.0f} "
            f"| {found['median_web_cpu_us_per_event']:.0f} | {found['errors']} |"
        )
    for size, found in data.get("store", {}).get("append", {}).items():
        rate = found["events"] / found["seconds"] if found["seconds"] else 0
        lines.append(
            f"| events_append, SQLite file store, {size.replace('_', 'es of ')} (no server) | {rate:,.0f} "
            f"| {found['cpu_seconds'] / found['events'] * 1e6:.0f} | - |"
        )
    return "\n".join(lines)


def _compaction_line(data: dict[str, Any]) -> str:
    found = data.get("store", {}).get("compaction")
    if not found:
        return "Compaction: not measured."
    per_million = found["seconds"] / found["events"] * 1e6 if found["events"] else 0
    return (
        f"Compaction (`events_compact`, SQLite store to Parquet): {found['events']:,} events of "
        "the data's last "
        f"{found['days']} days in {found['seconds']:.1f} s ({found['cpu_seconds']:.1f} s CPU): "
        f"**{per_million:.1f} s per million events**."
    )


def markdown(data: dict[str, Any]) -> str:
    machine, code, load = data["machine"], data["code"], data["load"]
    dirty = " (plus uncommitted changes)" if code["dirty"] else ""
    check_lines = "\n".join(
        f"- {'PASS' if c['passed'] else 'FAIL'}: {c['name']} ({c['detail']})" for c in data.get("checks", [])
    )
    engines = dict(data.get("dashboards", {}))
    engine_notes = "\n".join(
        f"- {name}: {found['error'][:300]}" for name, found in engines.items() if found.get("error")
    )
    page = data.get("product_page", {})
    return "\n\n".join(
        part
        for part in [
            f"# Shopstack bench: analytics at {data['size']} events",
            f"{data['date']} · commit `{code['commit'][:10]}`{dirty} · {machine['cores']} cores "
            f"({machine['cpu']}) · Python {machine['python']} · Django {machine['django']} · "
            f"granian {machine['granian']} · {machine['wrk']}",
            f"Command: `python -m bench.run --analytics --analytics-size {data['size']}`. Load average "
            f"(1, 5, 15 min) at start {machine['load_average_at_start']}, at end "
            f"{data.get('load_average_at_end')}: the machine is shared, so absolute times move with other "
            "work; on/off figures come from runs interleaved in the same session. wrk: "
            f"`-t{load['threads']} -c{load['connections']} -d{load['duration_s']:g}s`.",
            "Checks:\n" + check_lines,
            "## Data\n\n" + _data_lines(data),
            f"## Product page, tracking on vs off (`{page.get('path', '-')}`)\n\n"
            + _page_lines(page)
            + "\n\nWeb CPU is the server's web workers' CPU time per request (less moved by other work "
            "than req/s).",
            "## Ingestion\n\n" + _ingestion_lines(data),
            "## Compaction\n\n" + _compaction_line(data),
            "## Dashboards (30 days to the data's last day, compared with the 30 before where the "
            "dashboard compares; report cache off)\n\n"
            + _dashboard_table(engines)
            + ("\n\n" + engine_notes if engine_notes else ""),
        ]
        if part
    )
