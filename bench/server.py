"""Starts a server under test on 127.0.0.1 and makes sure every process of it stops."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from bench.procs import session_processes

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """The server did not come up; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def production_env(port: int) -> dict[str, str]:
    """The environment `make demo` serves with, on a port of our own.

    The API's anonymous throttle is raised, not removed, so its cost is still measured:
    in production the load comes from many clients, here from one address.
    """
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DEBUG": "0",
            "HOST": HOST,
            "PORT": str(port),
            "API_THROTTLE_ANON": "100000000/m",
            "API_THROTTLE_AUTH": "100000000/m",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def fetch_status(url: str, timeout: float = 10.0) -> tuple[int, int]:
    """(HTTP status, body bytes) of one GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, len(error.read())
    except (OSError, TimeoutError):
        return 0, 0


class Server:
    """A server process tree as a context manager: `with Server(...) as server:`.

    It runs as the leader of a new session, so a Ctrl-C at the terminal reaches only the
    bench (which then stops it once, cleanly), and so every process it forks, whatever
    process group it moves to, can be found and killed by session id.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        port: int,
        *,
        server_name: str = "granian",
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.env = env or {}  # on top of production_env (e.g. ANALYTICS_TRACKING=off)
        self.argv = argv
        self.port = port
        self.server_name = server_name
        self.proc: subprocess.Popen[bytes] | None = None
        # Command lines of processes that ignored SIGTERM and had to be killed.
        self.leftovers: list[str] = []
        self._logdir = tempfile.TemporaryDirectory(prefix="shopstack-bench-")
        self.log_path = Path(self._logdir.name) / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def sid(self) -> int:
        assert self.proc is not None, "server not started"
        return self.proc.pid

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.close()

    def start(self, timeout_s: float = 90.0) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env={**production_env(self.port), **self.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_healthy(timeout_s)
        except BaseException:
            # Also on Ctrl-C while starting: __exit__ does not run when __enter__ raises.
            self.stop()
            raise

    def _wait_healthy(self, timeout_s: float) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if fetch_status(f"{self.base_url}/healthz", timeout=2)[0] == 200:
                return
            time.sleep(0.2)
        raise ServerError(f"{self.name} did not answer /healthz in {timeout_s:.0f}s:\n{self.log_tail()}")

    def stop(self, grace_s: float = 20.0) -> None:
        """SIGTERM to the leader (scripts/serve forwards it), then SIGKILL whatever is left."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + 5
        while (left := session_processes(self.sid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for proc in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.leftovers = [p.cmdline for p in left]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def close(self) -> None:
        self._logdir.cleanup()
