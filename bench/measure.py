"""Probe, warm up and load a set of (server, URL) pairs, interleaving the runs."""

from __future__ import annotations

from dataclasses import dataclass

from bench import wrk
from bench.procs import RssSampler, cpu_seconds, max_worker_rss, rss_mb, web_workers
from bench.report import TargetResult
from bench.server import Server, fetch_status


@dataclass
class Job:
    server: Server
    sampler: RssSampler
    result: TargetResult

    @property
    def url(self) -> str:
        assert self.result.path is not None
        return self.server.base_url + self.result.path


def _worker_rss_now(job: Job) -> float | None:
    workers = web_workers(list(job.sampler.procs.values()), job.server.server_name)
    values = [mb for p in workers if (mb := rss_mb(p.pid)) is not None]
    return max(values) if values else None


def _load_once(job: Job, load: wrk.Load, *, warmup: bool) -> None:
    pids = list(job.sampler.procs)
    server_before = cpu_seconds(pids)
    try:
        outcome = wrk.run(load, job.url, warmup=warmup)
    except wrk.WrkError as error:
        job.result.error = str(error)
        return
    if not warmup:
        job.result.runs.append(outcome)
        # Server CPU per request is the fair yardstick on a machine shared with wrk: a
        # server with more threads can win req/s just by taking CPU away from the client.
        job.result.server_cpu_s.append(cpu_seconds(pids) - server_before)
        now = _worker_rss_now(job)
        if now is not None:
            job.result.worker_rss_mb = max(now, job.result.worker_rss_mb or 0.0)


def run(jobs: list[Job], load: wrk.Load) -> None:
    """Each job gets one GET (its status decides whether it is loaded at all), a warm-up,
    then `load.runs` measured runs. Runs go round-robin over the jobs, so a burst of other
    work on the machine lands on every job alike instead of on one, keeping ratios honest."""
    live: list[Job] = []
    for job in jobs:
        if job.result.path is None:
            continue
        job.result.status, _ = fetch_status(job.url)
        if 200 <= job.result.status < 400:
            live.append(job)
            print(f"  {job.result.label}: {job.url} -> {job.result.status}")
        else:
            print(f"  ! {job.result.label}: {job.url} -> {job.result.status or 'no answer'}; not loaded")
    for job in live:
        # Warm-up fills each worker's in-process caches and opens its database connection.
        _load_once(job, load, warmup=True)
    for number in range(1, load.runs + 1):
        for job in live:
            _load_once(job, load, warmup=False)
            if job.result.runs and len(job.result.runs) == number:
                last = job.result.runs[-1]
                flag = f", {last.error_count} errors" if last.error_count else ""
                print(
                    f"  run {number}/{load.runs} {job.server.name} {job.result.label}: "
                    f"{last.requests_per_s:,.0f} req/s, p50 {last.p50_ms:.2f} ms, "
                    f"p99 {last.p99_ms:.2f} ms{flag}"
                )


def server_worker_rss(job_server: Server, sampler: RssSampler) -> float | None:
    return max_worker_rss(sampler.snapshot(), sampler.procs, job_server.server_name)
