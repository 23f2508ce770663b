"""Drives load with wrk and reads its report.

Status codes come from wrk's own "Non-2xx or 3xx responses" line rather than a Lua
`response()` hook: a Lua callback per response costs the load generator CPU, and on a
2-core machine that CPU is taken from the server under test and would lower the ceiling.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

LOOPBACK_PREFIX = "http://127.0.0.1:"

# wrk prints durations with the largest unit that keeps the number >= 1.
_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_TIME = r"([\d.]+)(us|ms|s|m|h)"
_PERCENTILE_RE = re.compile(rf"^\s*(50|75|90|99)%\s+{_TIME}\s*$", re.MULTILINE)
_RPS_RE = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL_RE = re.compile(r"^\s*(\d+) requests in " + _TIME, re.MULTILINE)
_NON_2XX_RE = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)", re.MULTILINE)
_SOCKET_RE = re.compile(
    r"^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)


class WrkError(RuntimeError):
    """wrk is missing, failed, or printed something this parser does not understand."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: int

    @property
    def error_count(self) -> int:
        return self.non_2xx_3xx + self.socket_errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def to_ms(value: str, unit: str) -> float:
    """A wrk duration such as ("812.50", "us") in milliseconds."""
    try:
        return float(value) * _TIME_UNITS_MS[unit]
    except KeyError:
        raise WrkError(f"Unknown time unit {unit!r} in wrk output") from None


def parse(output: str) -> WrkResult:
    """Read the summary of `wrk --latency`; raises WrkError if a needed line is missing."""
    percentiles = {int(p): to_ms(v, u) for p, v, u in _PERCENTILE_RE.findall(output)}
    rps = _RPS_RE.search(output)
    total = _TOTAL_RE.search(output)
    if rps is None or total is None or set(percentiles) != {50, 75, 90, 99}:
        raise WrkError("wrk output lacks Requests/sec, the request count or --latency percentiles")
    non_2xx = _NON_2XX_RE.search(output)
    sockets = _SOCKET_RE.search(output)
    return WrkResult(
        requests=int(total.group(1)),
        duration_s=to_ms(total.group(2), total.group(3)) / 1000.0,
        requests_per_s=float(rps.group(1)),
        p50_ms=percentiles[50],
        p75_ms=percentiles[75],
        p90_ms=percentiles[90],
        p99_ms=percentiles[99],
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
    )


@dataclass(frozen=True)
class Load:
    """How hard and how long to push: the same for every target so ratios are fair."""

    threads: int = 2
    connections: int = 32
    duration_s: float = 10.0
    warmup_s: float = 2.0
    runs: int = 3

    @classmethod
    def from_env(cls) -> Load:
        """BENCH_DURATION, BENCH_WARMUP, BENCH_RUNS, BENCH_THREADS, BENCH_CONNECTIONS."""
        env = os.environ
        return cls(
            threads=int(env.get("BENCH_THREADS", cls.threads)),
            connections=int(env.get("BENCH_CONNECTIONS", cls.connections)),
            duration_s=float(env.get("BENCH_DURATION", cls.duration_s)),
            warmup_s=float(env.get("BENCH_WARMUP", cls.warmup_s)),
            runs=max(1, int(env.get("BENCH_RUNS", cls.runs))),
        )

    def command(self, url: str, duration_s: float) -> list[str]:
        return [
            "wrk",
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{max(1, round(duration_s))}s",
            "--timeout",
            "10s",
            "--latency",
            url,
        ]


def run(load: Load, url: str, *, warmup: bool = False) -> WrkResult:
    """One wrk run against a loopback URL (nothing else is ever a target)."""
    if not url.startswith(LOOPBACK_PREFIX):
        raise WrkError(f"Refusing to load {url}: the bench only sends traffic to 127.0.0.1")
    duration = load.warmup_s if warmup else load.duration_s
    proc = subprocess.run(
        load.command(url, duration), capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if proc.returncode != 0:
        raise WrkError(f"wrk exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[:500]}")
    return parse(proc.stdout)


def version() -> str:
    """e.g. "wrk debian/4.1.0-3+b2" (its first line, without the copyright)."""
    if not shutil.which("wrk"):  # `--checkout` runs need no wrk, and must not fail for it
        return "wrk not installed"
    proc = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[0].split("[")[0].split("Copyright")[0].strip() if lines else "wrk"


def ensure_installed() -> None:
    """Install Debian's wrk when missing and we are root; otherwise say how to get it."""
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing Debian's package (apt-get install -y wrk)")
        quiet = {"stdout": subprocess.DEVNULL, "check": False}
        if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet).returncode != 0:
            # A fresh machine has no package lists yet.
            subprocess.run(["apt-get", "update", "-qq"], **quiet)
            subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet)
    if not shutil.which("wrk"):
        raise WrkError(
            "The bench needs the wrk load tool. Install it with `sudo apt-get install wrk` "
            "(Debian/Ubuntu) or `brew install wrk` (macOS), then run `make bench` again."
        )
