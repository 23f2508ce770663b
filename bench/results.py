"""What machine and code a run measured, and where its results are written."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import wrk
from bench.server import ROOT

RESULTS = ROOT / "bench" / "results"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return proc.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    """Other work on the machine shows here; a high number means noisy absolute figures."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": _mem_total_gb(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "django": _version("django"),
        "granian": _version("granian"),
        "gunicorn": _version("gunicorn"),
        "wrk": wrk.version(),
        "load_average_at_start": load_average(),
    }


def code() -> dict[str, Any]:
    return {
        "commit": _git("rev-parse", "HEAD"),
        "branch": _git("rev-parse", "--abbrev-ref", "HEAD"),
        # Uncommitted changes (ours or anyone's) mean the commit alone does not say what ran.
        "dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }


def now() -> datetime:
    return datetime.now(UTC)


def write(prefix: str, data: dict[str, Any], markdown: str, when: datetime) -> list[Path]:
    """`<prefix>latest.{json,md}` plus a dated copy of each; returns the paths written."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = when.strftime("%Y%m%d-%H%M%S")
    written = []
    for name in (f"{prefix}latest", f"{prefix}{stamp}"):
        json_path = RESULTS / f"{name}.json"
        json_path.write_text(json.dumps(data, indent=2, default=str) + "\n")
        md_path = RESULTS / f"{name}.md"
        md_path.write_text(markdown.rstrip() + "\n")
        written += [json_path, md_path]
    return written


def header(title: str, data: dict[str, Any]) -> str:
    """The lines above a results table: when, on what, with which load."""
    m, c, load = data["machine"], data["code"], data["load"]
    dirty = " (plus uncommitted changes)" if c["dirty"] else ""
    return "\n".join(
        [
            f"# {title}",
            "",
            f"{data['date']} · commit `{c['commit'][:10]}`{dirty} · {m['cores']} cores ({m['cpu']}) · "
            f"Python {m['python']} · Django {m['django']} · granian {m['granian']} · "
            f"gunicorn {m['gunicorn']} · {m['wrk']}",
            "",
            f"Load: `wrk -t{load['threads']} -c{load['connections']} -d{load['duration_s']:g}s --latency`"
            f" after a {load['warmup_s']:g} s warm-up, {load['runs']} run(s) per target, interleaved;"
            f" medians shown. Load average at start: {m['load_average_at_start']}"
            " (other work on the machine makes absolute numbers noisy: compare ratios).",
        ]
    )
