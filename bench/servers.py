"""granian or gunicorn, and with which worker/thread split: decided by measurement.

Every configuration serves the same app with the same settings and the same number of
processes per core, and is loaded with the same wrk command on the ceiling (`/hello`) and
on one real page. All of them run at once on their own ports and the runs go round-robin,
so noise from other work on the machine spreads over all configurations alike.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any

from bench import measure, report, results, shop, wrk
from bench.procs import RssSampler, cpu_count
from bench.server import HOST, ROOT, Server, free_port

APP = "config.wsgi:application"
GRANIAN = str(ROOT / ".venv" / "bin" / "granian")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
# The flags of scripts/serve besides host, port and worker counts; a test keeps them equal.
GRANIAN_FLAGS = ["--interface wsgi", "--backlog 1024", "--no-ws", "--workers-kill-timeout 10"]


@dataclass(frozen=True)
class ServerConfig:
    key: str
    label: str
    server_name: str  # how its processes are recognised in /proc
    workers: int
    threads: int

    def argv(self, port: int) -> list[str]:
        if self.server_name == "gunicorn":
            # Sync workers: one request at a time per process, no keep-alive (gunicorn's
            # documented mode behind a buffering proxy).
            return [
                GUNICORN, "--worker-class", "sync", "--workers", str(self.workers),
                "--bind", f"{HOST}:{port}", "--backlog", "1024", "--log-level", "warning", APP,
            ]  # fmt: skip
        return [
            GRANIAN, *" ".join(GRANIAN_FLAGS).split(), "--host", HOST, "--port", str(port),
            "--workers", str(self.workers), "--blocking-threads", str(self.threads),
            "--log-level", "warning", APP,
        ]  # fmt: skip


def configs(cores: int) -> list[ServerConfig]:
    return [
        ServerConfig("granian", f"granian {cores} workers x 1 thread (scripts/serve)", "granian", cores, 1),
        ServerConfig("granian_1w", f"granian 1 worker x {cores} threads", "granian", 1, cores),
        ServerConfig("granian_2t", f"granian {cores} workers x 2 threads", "granian", cores, 2),
        ServerConfig("granian_2x", f"granian {2 * cores} workers x 1 thread", "granian", 2 * cores, 1),
        ServerConfig("gunicorn", f"gunicorn {cores} sync workers", "gunicorn", cores, 1),
    ]


def serve_granian_command() -> list[str]:
    """The command line scripts/serve runs, as recorded in the results."""
    argv = ServerConfig("granian", "", "granian", cpu_count(), 1).argv(8000)
    argv[0] = ".venv/bin/granian"
    argv[argv.index("--port") + 1] = "$PORT"
    return argv


def real_page(found: dict[str, object]) -> tuple[str, str]:
    """The product page when the catalog has one, else the home page."""
    for target in shop.targets(found):
        if target.key == "product" and target.path:
            return target.label, target.path
    return "home", "/"


def run(load: wrk.Load, found: dict[str, object]) -> tuple[dict[str, Any], str]:
    page_label, page_path = real_page(found)
    cores = cpu_count()
    pages = [("hello", "hello world", "/hello"), ("page", page_label, page_path)]
    rows: dict[str, dict[str, report.TargetResult]] = {}
    samplers: dict[str, tuple[Server, RssSampler]] = {}
    jobs: list[measure.Job] = []
    print(f"\nServer comparison: hello world and {page_label} ({page_path}) on each configuration...")
    with contextlib.ExitStack() as stack:
        for config in configs(cores):
            port = free_port()
            server = stack.enter_context(
                Server(config.label, config.argv(port), port, server_name=config.server_name)
            )
            sampler = RssSampler(server.sid).start()
            stack.callback(sampler.stop)
            samplers[config.key] = (server, sampler)
            rows[config.key] = {}
            for key, label, path in pages:
                row = report.TargetResult(key, label, path)
                rows[config.key][key] = row
                jobs.append(measure.Job(server, sampler, row))
        measure.run(jobs, load)
        rss = {key: measure.server_worker_rss(s, sam) for key, (s, sam) in samplers.items()}
    data: dict[str, Any] = {
        "kind": "servers",
        "date": results.now().isoformat(timespec="seconds"),
        "machine": results.machine(),
        "code": results.code(),
        "load": asdict(load),
        "page": {"label": page_label, "path": page_path},
        "configs": [
            {
                **asdict(config),
                "command": config.argv(0),
                "max_worker_rss_mb": rss[config.key],
                "results": {k: report.result_dict(r, None) for k, r in rows[config.key].items()},
            }
            for config in configs(cores)
        ],
    }
    markdown = "\n\n".join(
        [
            results.header("Shopstack bench: which server", data),
            comparison_table(configs(cores), rows, rss, page_label),
        ]
    )
    return data, markdown


def comparison_table(
    found_configs: list[ServerConfig],
    rows: dict[str, dict[str, report.TargetResult]],
    rss: dict[str, float | None],
    page_label: str,
) -> str:
    def cell(row: report.TargetResult, name: str, fmt: str) -> str:
        value = row.median(name) if row.ok else None
        return row.state if value is None else format(value, fmt)

    lines = [
        f"| server | hello req/s | p50 ms | p99 ms | req/CPU-s | {page_label} req/s | p50 ms | p99 ms "
        "| req/CPU-s | page / hello | worker RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for config in found_configs:
        cells = [config.label]
        for row in (rows[config.key]["hello"], rows[config.key]["page"]):
            cells += [
                cell(row, "requests_per_s", ",.0f"),
                cell(row, "p50_ms", ".2f"),
                cell(row, "p99_ms", ".2f"),
                format(row.requests_per_cpu_s, ",.0f") if row.ok and row.requests_per_cpu_s else "-",
            ]
        hello, page = rows[config.key]["hello"], rows[config.key]["page"]
        share = report.ratio(page.median("requests_per_s"), hello.median("requests_per_s"))
        worker = rss[config.key]
        cells.append("-" if share is None or not page.ok else format(share, ".2f"))
        cells.append("-" if worker is None else format(worker, ".0f"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
