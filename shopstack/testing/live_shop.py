"""The shop served by the production web server with several workers, for tests that must
see what one process alone cannot: a limit or a one-time code shared by every worker.

`live_shop()` migrates a database of its own (a SQLite file, or a new database on the
PostgreSQL server the suite runs against), seeds it, and serves it with granian.
`worker_connections()` opens keep-alive connections and finds out, from /proc, which
worker process accepted each, so a test can send its requests alternately through two
different workers instead of hoping the kernel spreads them.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LiveShop:
    host: str
    port: int
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    var_dir: Path

    def manage(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def worker_pids(self) -> set[int]:
        return _descendants(self.process.pid)


@contextmanager
def live_shop(*, workers: int = 2, settings: dict[str, str] | None = None) -> Iterator[LiveShop]:
    var_dir = Path(tempfile.mkdtemp(prefix="shopstack-live-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SHOPSTACK_FAULTS", "DJANGO_SETTINGS_MODULE")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "SHOPSTACK_VAR_DIR": str(var_dir),
            "SHOP_BASE_URL": f"http://127.0.0.1:{port}",
            "EMAIL_URL": "locmem://",
            **(settings or {}),
        }
    )
    database = _own_database(env, var_dir)
    process: subprocess.Popen[bytes] | None = None
    log = open(var_dir / "web.log", "wb")  # noqa: SIM115 - closed after the server stops
    try:
        shop = LiveShop("127.0.0.1", port, None, env, var_dir)  # type: ignore[arg-type]
        shop.manage("migrate", "--no-input", "-v", "0")
        if _static_files_stale():
            shop.manage("collectstatic", "--no-input", "-v", "0")
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "granian"),
                *("--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)),
                *("--workers", str(workers), "--blocking-threads", "1", "--no-ws", "--log-level", "warning"),
                "config.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        shop.process = process
        _wait_ready(shop, workers)
        yield shop
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)
        log.close()
        if database is not None:
            database()
        subprocess.run(["rm", "-rf", str(var_dir)], check=False)


def _static_files_stale() -> bool:
    """As scripts/serve decides: collected files are missing, or older than a source file."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return True
    collected_at = manifest.stat().st_mtime
    return any(path.stat().st_mtime > collected_at for path in (ROOT / "shopstack" / "static").rglob("*"))


def _own_database(env: dict[str, str], var_dir: Path) -> Any:
    """A database for this shop alone; returns how to drop it (None for a SQLite file)."""
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        env["DATABASE_URL"] = f"sqlite:///{var_dir / 'shop.sqlite3'}"
        return None
    parsed = urlparse(url)
    name = f"shopstack_live_{uuid.uuid4().hex[:10]}"
    admin_url = parsed._replace(scheme="postgresql", path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = parsed._replace(path=f"/{name}").geturl()

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return drop


# How long the server may take to answer /readyz with all its workers up: generous, for a
# busy machine (the same as config/tests/test_serve.py allows).
START_TIMEOUT = 600


def _wait_ready(shop: LiveShop, workers: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert shop.process.poll() is None, (shop.var_dir / "web.log").read_text()
        try:
            connection = http.client.HTTPConnection(shop.host, shop.port, timeout=60)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200 and len(shop.worker_pids()) >= workers:
                connection.close()
                return
            connection.close()
        except OSError:
            pass
        assert time.monotonic() < deadline, (shop.var_dir / "web.log").read_text()
        time.sleep(0.2)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _socket_inode(local_port: int, server_port: int) -> int | None:
    """The inode of the server's end of the TCP connection from `local_port`."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], int(fields[9])
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == local_port
            ):
                return inode
    return None


def _owner(inode: int, pids: set[int]) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == target:
                        return pid
                except OSError:
                    continue
        except OSError:
            continue
    return None


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WorkerConnection:
    """A keep-alive connection known to be served by one worker process."""

    def __init__(self, shop: LiveShop, connection: http.client.HTTPConnection, pid: int) -> None:
        self.shop = shop
        self.connection = connection
        self.pid = pid
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Reply:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        raw = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        assert not response.will_close, "the server closed a keep-alive connection: it is no longer pinned"
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, raw)

    def post_json(self, path: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        return self.request(
            "POST",
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )


def worker_connections(shop: LiveShop, *, wanted: int = 2, attempts: int = 40) -> list[WorkerConnection]:
    """One keep-alive connection per worker process, for `wanted` different workers."""
    pids = shop.worker_pids()
    found: dict[int, WorkerConnection] = {}
    spare: list[http.client.HTTPConnection] = []
    for _ in range(attempts):
        connection = http.client.HTTPConnection(shop.host, shop.port, timeout=60)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        assert connection.sock is not None
        local_port = connection.sock.getsockname()[1]
        inode = _socket_inode(local_port, shop.port)
        owner = _owner(inode, pids) if inode is not None else None
        if owner is not None and owner not in found:
            found[owner] = WorkerConnection(shop, connection, owner)
            if len(found) == wanted:
                break
        else:
            spare.append(connection)  # held open, so the next connection may go elsewhere
    for connection in spare:
        connection.close()
    assert len(found) == wanted, f"connections reached {len(found)} of {wanted} workers ({pids})"
    return list(found.values())
