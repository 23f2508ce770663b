"""The checkout bench's figures: percentiles, Server-Timing, think times, the per-step
statistics, the table and the target check. Pure functions, unit-tested in
bench/test_checkout.py."""

from __future__ import annotations

import random
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

STEPS = ("add_to_cart", "start", "contact", "address", "shipping", "place")
TARGET_P95_MS = 50.0


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear-interpolated percentile (like numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def server_timing(header: str | None) -> dict[str, float]:
    """`{"app": 12.3, "db": 4.5}` from a `Server-Timing` header value; metrics without a
    readable `dur` are left out."""
    durations: dict[str, float] = {}
    for metric in (header or "").split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        for param in params:
            key, _, value = param.partition("=")
            if name and key.strip() == "dur":
                with suppress(ValueError):
                    durations[name] = float(value.strip().strip('"'))
    return durations


@dataclass(frozen=True)
class Think:
    """How long a shopper waits before each request: uniformly between low and high s."""

    low: float
    high: float

    @property
    def label(self) -> str:
        if self.high == 0:
            return "no think time (saturating)"
        if self.low == self.high:
            return f"think time {self.low:g} s"
        return f"think time {self.low:g}-{self.high:g} s"

    def pause(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high) if self.high > 0 else 0.0


def think_settings(text: str) -> list[Think]:
    """`"1-3"` -> one setting; `"1-3,0"` -> two runs per tier; `"2"` -> a fixed 2 s."""
    out = []
    for part in text.split(","):
        low_text, dash, high_text = part.strip().partition("-")
        try:
            low = float(low_text)
            high = float(high_text) if dash else low
        except ValueError:
            raise ValueError(f"BENCH_THINK_SECONDS: {part!r} is not <seconds> or <low>-<high>") from None
        if low < 0 or high < low:
            raise ValueError(f"BENCH_THINK_SECONDS: {part!r} must be 0 <= low <= high")
        out.append(Think(low, high))
    return out


@dataclass
class StepStats:
    times_ms: list[float] = field(default_factory=list)  # client latency
    server_ms: list[float] = field(default_factory=list)  # Server-Timing app;dur
    db_ms: list[float] = field(default_factory=list)  # Server-Timing db;dur
    errors: dict[str, int] = field(default_factory=dict)  # "422" -> count; "conn" for no answer

    def add(self, elapsed_ms: float, status: int, timing: dict[str, float] | None = None) -> None:
        self.times_ms.append(elapsed_ms)
        if timing and "app" in timing:
            self.server_ms.append(timing["app"])
        if timing and "db" in timing:
            self.db_ms.append(timing["db"])
        if not 200 <= status < 300:
            key = str(status) if status else "conn"
            self.errors[key] = self.errors.get(key, 0) + 1

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.times_ms),
            "server_p50_ms": _round(percentile(self.server_ms, 50)),
            "server_p95_ms": _round(percentile(self.server_ms, 95)),
            "server_max_ms": _round(max(self.server_ms) if self.server_ms else None),
            "db_p50_ms": _round(percentile(self.db_ms, 50)),
            "db_p95_ms": _round(percentile(self.db_ms, 95)),
            "p50_ms": _round(percentile(self.times_ms, 50)),
            "p95_ms": _round(percentile(self.times_ms, 95)),
            "max_ms": _round(max(self.times_ms) if self.times_ms else None),
            "errors": sum(self.errors.values()),
            "errors_by_status": dict(self.errors),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


TIME_COLUMNS = (
    "server_p50_ms",
    "server_p95_ms",
    "server_max_ms",
    "db_p50_ms",
    "db_p95_ms",
    "p50_ms",
    "p95_ms",
    "max_ms",
)


def table(tier: dict[str, Any]) -> str:
    """The markdown table of one tier's run."""
    rows = [
        "| step | requests | server p50 | server p95 | server max | db p50 | db p95 "
        "| client p50 | client p95 | client max | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in STEPS:
        s = tier["steps"][name]
        by = ", ".join(f"{k}: {v}" for k, v in sorted(s["errors_by_status"].items()))
        errors = f"{s['errors']} ({by})" if s["errors"] else "0"
        times = " | ".join(_ms(s.get(k)) for k in TIME_COLUMNS)
        rows.append(f"| {name} | {s['requests']} | {times} | {errors} |")
    o = tier["orders"]
    rows += [
        "",
        f"Orders placed: {o['placed']} ({o['placed_per_min']:.0f}/min); confirmed: {o['confirmed']} "
        f"(**{o['confirmed_per_min']:.0f} orders/min**); still pending after the grace period: "
        f"{o['pending']}; other outcome: {o['other']}.",
        f"Place -> confirmed (server clock: `placed_at` to the `confirmed` event): "
        f"p50 {_ms(o['confirm_p50_ms'])} ms, p95 {_ms(o['confirm_p95_ms'])} ms.",
        f"Shoppers: {tier['shoppers']}, {tier.get('think', 'no think time')}, {tier['seconds']:g} s, "
        f"{tier['variants']} different variants; load average at start {tier.get('load_average_at_start')}, "
        f"at end {tier['load_average_at_end']}.",
    ]
    if tier.get("cpu_seconds"):
        rows.append(cpu_line(tier["cpu_seconds"], tier["seconds"], o["placed"]))
    return "\n".join(rows)


def cpu_line(cpu: dict[str, float], seconds: float, orders: int) -> str:
    """Where the cores went during the run: CPU seconds per role, per placed order and as
    cores busy on average, so a slow step can be told from a busy machine."""
    per_order = (lambda v: f", {v * 1000 / orders:.0f} ms/order") if orders else (lambda v: "")
    parts = [
        f"{name} {value:.1f} s ({value / seconds:.2f} cores{per_order(value)})"
        for name, value in cpu.items()
        if name != "machine"
    ]
    machine = cpu.get("machine", 0.0)
    return f"CPU during the run: {'; '.join(parts)}; whole machine {machine / seconds:.2f} cores busy."


def check(tier: dict[str, Any]) -> dict[str, Any]:
    """The issue's target for one tier: every step's SERVER time p95 under 50 ms, no errors.
    A step without server times (no header) counts as unmeasured, so it fails."""
    worst = max(((s["server_p95_ms"] or 0.0, name) for name, s in tier["steps"].items()), default=(0.0, ""))
    errors = sum(s["errors"] for s in tier["steps"].values())
    measured = all(s["requests"] and s["server_p95_ms"] is not None for s in tier["steps"].values())
    passed = measured and worst[0] < TARGET_P95_MS and errors == 0
    return {
        "name": (
            f"each checkout request's server time p95 < {TARGET_P95_MS:g} ms with {tier['shoppers']} "
            f"shoppers ({tier.get('think', 'no think time')})"
        ),
        "passed": passed,
        "detail": f"worst server p95 {worst[0]:.1f} ms ({worst[1]}), {errors} error(s)",
    }


def check_line(tier_name: str, result: dict[str, Any]) -> str:
    return (
        f"- {tier_name}: {result['name']}: **{'PASS' if result['passed'] else 'FAIL'}** ({result['detail']})"
    )
