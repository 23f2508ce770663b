"""scripts/serve, as `make demo` runs it: the web server, the task worker and the scheduler
come up together and one Ctrl-C stops all three, leaving no process behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_pids(sid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid:  # field 6 of /proc/<pid>/stat: session id
                pids.append(int(entry.name))
    return pids


def wait_for(url: str, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return int(response.status)
        except OSError:
            time.sleep(0.2)
    return 0


@pytest.fixture
def serve_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "SHOPSTACK_VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "PORT": str(free_port()),
            "WEB_WORKERS": "1",
        }
    )
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return env


def test_one_ctrl_c_stops_web_server_task_worker_and_scheduler(serve_env):
    # A terminal's Ctrl-C is a SIGINT to the foreground process group; the script leads one
    # here. SIGINT is restored to its default, as an interactive shell would leave it.
    proc = subprocess.Popen(
        [str(ROOT / "scripts" / "serve")],
        cwd=ROOT,
        env=serve_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        url = f"http://127.0.0.1:{serve_env['PORT']}/healthz"
        # Generous: the script collects and compresses static files into an empty
        # STATIC_ROOT first, which took 150 s on a 2-core machine at load 15.
        assert wait_for(url, timeout_s=600) == 200, "the server did not come up"
        running = " ".join(Path(f"/proc/{pid}/cmdline").read_text() for pid in session_pids(proc.pid))
        assert "granian" in running
        assert "task_worker" in running
        assert "scheduler" in running

        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
        deadline = time.monotonic() + 60
        while session_pids(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert session_pids(proc.pid) == [], "a process outlived Ctrl-C"
        assert "Stopped." in proc.stdout.read().decode()  # type: ignore[union-attr]
    finally:
        for pid in session_pids(proc.pid):
            os.kill(pid, signal.SIGKILL)
