"""The processes of a server under test, read from /proc, and their resident memory."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cmdline: str


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name sits in parentheses and may itself hold spaces or parentheses.
    return raw[raw.rindex(")") + 2 :].split()


def session_processes(sid: int) -> list[Proc]:
    """Every live process of a session: the bench starts each server as a session leader,
    so this is the whole server, even children that moved to their own process group."""
    found: list[Proc] = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        # After the name: state, ppid, pgrp, session. Zombies hold no memory and are skipped.
        if fields is None or fields[0] == "Z" or int(fields[3]) != sid:
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        found.append(Proc(pid=int(entry.name), ppid=int(fields[1]), cmdline=cmdline))
    return sorted(found, key=lambda p: p.pid)


def rss_mb(pid: int) -> float | None:
    """VmRSS of a process in MiB, or None once it has gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by the live processes among `pids`."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            # utime and stime are fields 14 and 15 of stat; this list starts at field 3.
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def web_workers(procs: list[Proc], server_name: str) -> list[Proc]:
    """The processes that run the app: children of the server's main process.

    granian and gunicorn both fork workers from one main process that loads no app; the
    main is the server process whose parent is not itself a server process.
    """
    server = {p.pid: p for p in procs if server_name in p.cmdline}
    return [p for p in server.values() if p.ppid in server]


def role(proc: Proc, procs: list[Proc], server_name: str) -> str:
    if proc in web_workers(procs, server_name):
        return "web worker"
    if server_name in proc.cmdline:
        return f"{server_name} main"
    if "task_worker" in proc.cmdline or "db_worker" in proc.cmdline:
        return "task worker"
    if "scheduler" in proc.cmdline:
        return "scheduler"
    return "script"


def cpu_by_role(sid: int, server_name: str) -> dict[str, float]:
    """CPU seconds used so far by each role of a server session (web worker, task worker...)."""
    procs = session_processes(sid)
    totals: dict[str, float] = {}
    for proc in procs:
        name = role(proc, procs, server_name)
        totals[name] = totals.get(name, 0.0) + cpu_seconds([proc.pid])
    return totals


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent not idle since boot, from /proc/stat."""
    fields = (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]
    # user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    values = [int(v) for v in fields[:8]]
    busy = sum(values) - values[3] - values[4]
    return busy / os.sysconf("SC_CLK_TCK")


class RssSampler:
    """Samples VmRSS of every process of a session in a background thread; keeps maxima.

    The process list is refreshed only every few samples: scanning all of /proc costs the
    very CPU the server is being measured on.
    """

    def __init__(self, sid: int, *, interval_s: float = 0.5, rescan_every: int = 10) -> None:
        self.sid = sid
        self.interval_s = interval_s
        self.rescan_every = rescan_every
        self.max_mb: dict[int, float] = {}
        self.procs: dict[int, Proc] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    def start(self) -> RssSampler:
        self.sample(rescan=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample(rescan=True)

    def sample(self, *, rescan: bool = False) -> None:
        if rescan or not self.procs:
            for proc in session_processes(self.sid):
                self.procs.setdefault(proc.pid, proc)
        with self._lock:
            for pid in list(self.procs):
                mb = rss_mb(pid)
                if mb is not None and mb > self.max_mb.get(pid, 0.0):
                    self.max_mb[pid] = mb

    def snapshot(self) -> dict[int, float]:
        with self._lock:
            return dict(self.max_mb)

    def _loop(self) -> None:
        tick = 0
        while not self._stop.wait(self.interval_s):
            tick += 1
            self.sample(rescan=tick % self.rescan_every == 0)


def max_worker_rss(maxima: dict[int, float], procs: dict[int, Proc], server_name: str) -> float | None:
    """The largest RSS any single web worker reached, in MiB."""
    workers = web_workers(list(procs.values()), server_name)
    values = [maxima[p.pid] for p in workers if p.pid in maxima]
    return max(values) if values else None


def cpu_count() -> int:
    return os.cpu_count() or 1
