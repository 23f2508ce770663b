"""PostgreSQL restarted under load: the shop recovers without a restart of its own.

Everything is real and out of process: a private PostgreSQL cluster made for this test
(so restarting it disturbs nothing else on the machine, on either test tier), the shop
served by `scripts/serve` exactly as in production (granian web workers, the task worker
and the scheduler; the script stops all of them if any one exits), and shoppers going
through the public API's whole checkout with no pause. Mid-run the database is stopped the
hard way (`pg_ctl restart -m immediate`, as a crash: it recovers from its WAL).

The shop must: answer every request (503 with Retry-After while the database is away,
never a 500 or a dropped connection), keep all three processes running, serve again
within seconds of the database coming back, and lose nothing: every order a shopper was
told about exists once, is confirmed by the task worker after the restart, and was
charged exactly once by the gateway, even though the shoppers repeated every request
that failed (placing with the same Idempotency-Key).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from shopstack.orders.tasks import RESUME_AFTER_SECONDS
from shopstack.testing.api_client import Answer, call

ROOT = Path(__file__).resolve().parents[3]
SHOPPERS = 6
DOWNTIME = 3.0  # seconds the database stays stopped
RECOVERY_GRACE = 5.0  # seconds after the database is back within which failures may go on
SETTLE_TIMEOUT = 90.0
# An order whose workflow step was cut off by the outage (its task was running, or its
# enqueue was lost with the connection) is picked up by the resume sweep: stalled for
# RESUME_AFTER_SECONDS, checked every 30 s.
CONFIRM_TIMEOUT = RESUME_AFTER_SECONDS + 90.0
ADDRESS = {
    "full_name": "Ann Example",
    "line1": "1 High Street",
    "city": "London",
    "postal_code": "SW1A 1AA",
    "country": "GB",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    assert found, "PostgreSQL server binaries (Debian's postgresql package) are needed for this test"
    return Path(found[-1]).parent


@dataclass
class Cluster:
    bin: Path
    data: Path
    port: int
    as_postgres: list[str]
    options: str = ""

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/shop"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.bin / "pg_ctl"), "-D", str(self.data), *args], check=True)

    def start(self) -> None:
        self.pg_ctl("-l", str(self.data.parent / "server.log"), "-o", self.options, "-w", "start")

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url.replace("postgres://", "postgresql://"), autocommit=True)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    binaries = postgres_bin()
    base = Path(tempfile.mkdtemp(prefix="shopstack-pg-", dir="/tmp"))
    # initdb refuses to run as root: the cluster belongs to the postgres user then.
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(base, owner.pw_uid, owner.pw_gid)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    made = Cluster(binaries, base / "data", port, as_postgres)
    subprocess.run(
        [*as_postgres, str(binaries / "initdb"), "-D", str(made.data), "-A", "trust", "-U", "postgres"],
        check=True,
        capture_output=True,
    )
    made.options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    made.start()
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE shop")
        yield made
    finally:
        subprocess.run(
            [*as_postgres, str(binaries / "pg_ctl"), "-D", str(made.data), "-m", "immediate", "stop"]
        )
        shutil.rmtree(base, ignore_errors=True)


def shop_env(cluster: Cluster, var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL", "SHOPSTACK_FAULTS")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": cluster.url,
            "SHOPSTACK_VAR_DIR": str(var_dir),
            "PORT": str(port),
            "WEB_WORKERS": "2",
            "SHOP_BASE_URL": f"http://127.0.0.1:{port}",
            "API_THROTTLE_ANON": "100000000/m",
            "API_THROTTLE_AUTH": "100000000/m",
        }
    )
    return env


SEED = """
from shopstack.testing.inventory import make_stocked_variant
variant = make_stocked_variant(stock=100000, name="Restart Mug", price="5.00")
print(variant.pk)
"""


@dataclass
class Shop:
    base: str
    variant_id: int
    method_id: int
    process: subprocess.Popen


@pytest.fixture(scope="module")
def shop(cluster: Cluster) -> Iterator[Shop]:
    var_dir = Path(tempfile.mkdtemp(prefix="shopstack-restart-"))
    port = free_port()
    env = shop_env(cluster, var_dir, port)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    variant_id = int(seeded.stdout.strip().splitlines()[-1])
    with cluster.connect() as conn:
        method_id = conn.execute(
            "SELECT id FROM shipping_shippingmethod WHERE code = 'uk-standard'"
        ).fetchone()[0]
    log = open(var_dir / "serve.log", "wb")  # noqa: SIM115 - closed after the server stops
    process = subprocess.Popen(
        ["scripts/serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600  # start-up (collectstatic included) on a busy machine
        while (ready := call(base, "GET", "/readyz", prefix="")).status != 200:
            assert process.poll() is None, (var_dir / "serve.log").read_text()
            assert time.monotonic() < deadline, (ready, (var_dir / "serve.log").read_text())
            time.sleep(0.2)
        yield Shop(base, variant_id, method_id, process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        log.close()
        shutil.rmtree(var_dir, ignore_errors=True)


@dataclass
class Record:
    started: float
    step: str
    status: int


@dataclass
class Shopper:
    number: int
    shop: Shop
    stop_at: list[float]
    records: list[Record] = field(default_factory=list)
    orders: dict[str, str] = field(default_factory=dict)  # idempotency key -> order number
    placed_at: list[float] = field(default_factory=list)  # when each successful place was sent
    cart_token: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def request(self, step: str, method: str, path: str, payload: object = None, **headers: str) -> Answer:
        """Send until the shop answers something other than "try again" (503 or no answer)."""
        give_up = time.monotonic() + SETTLE_TIMEOUT
        while True:
            started = time.monotonic()
            answer = call(self.shop.base, method, path, payload, headers, timeout=30)
            with self.lock:
                self.records.append(Record(started, step, answer.status))
            if answer.status not in (0, 503) or time.monotonic() > give_up:
                return answer
            time.sleep(0.2)

    def run(self) -> None:
        while time.monotonic() < self.stop_at[0]:
            added = self.request(
                "cart", "POST", "/cart/lines", {"variant_id": self.shop.variant_id, "quantity": 1}
            )
            if added.status != 201:
                return
            self.cart_token = added.headers.get("x-cart-token") or added.body["token"]
            cart = {"X-Cart-Token": self.cart_token}
            started = self.request("start", "POST", "/checkout", None, **cart)
            if started.status != 201:
                return
            token = started.body["token"]
            email = {"email": f"shopper{self.number}@example.com"}
            for step, path, payload in (
                ("contact", f"/checkout/{token}/contact", email),
                ("address", f"/checkout/{token}/address", {"shipping": ADDRESS}),
            ):
                if self.request(step, "PUT", path, payload, **cart).status != 200:
                    return
            chosen = self.request(
                "shipping",
                "PUT",
                f"/checkout/{token}/shipping-method",
                {"method_id": self.shop.method_id},
                **cart,
            )
            if chosen.status != 200:
                return
            key = str(uuid.uuid4())
            placed = self.request(
                "place",
                "POST",
                f"/checkout/{token}/place",
                {"payment_token": "tok_success"},
                **cart,
                **{"Idempotency-Key": key},
            )
            if placed.status != 201:
                return
            self.orders[key] = placed.body["number"]
            self.placed_at.append(self.records[-1].started)


def wait_for(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the shoppers made no progress"
        time.sleep(0.1)


def test_postgres_restart_under_load(cluster: Cluster, shop: Shop) -> None:
    stop_at = [float("inf")]
    shoppers = [Shopper(number, shop, stop_at) for number in range(SHOPPERS)]
    threads = [threading.Thread(target=shopper.run) for shopper in shoppers]
    for thread in threads:
        thread.start()
    # Under way first: every shopper has an order, so every process holds open connections.
    wait_for(lambda: all(s.placed_at for s in shoppers), SETTLE_TIMEOUT)

    went_down = time.monotonic()
    cluster.pg_ctl("-m", "immediate", "-w", "stop")
    probes: list[Answer] = []
    while time.monotonic() < went_down + DOWNTIME:
        probes.append(
            call(shop.base, "GET", "/cart", headers={"X-Cart-Token": shoppers[0].cart_token}, timeout=30)
        )
        time.sleep(0.1)
    cluster.start()
    came_back = time.monotonic()

    # Then until every shopper has placed an order sent after the database came back.
    wait_for(lambda: all(max(s.placed_at) > came_back for s in shoppers), SETTLE_TIMEOUT)
    stop_at[0] = max(time.monotonic(), came_back + RECOVERY_GRACE + 2)
    for thread in threads:
        thread.join(SETTLE_TIMEOUT + 30)
    assert not any(thread.is_alive() for thread in threads), "a shopper is still waiting for an answer"

    # While it was down, the shop said so: 503 with Retry-After, in the API's error format.
    assert probes, "no request was sent while the database was down"
    assert {p.status for p in probes} == {503}, [(p.status, p.body) for p in probes]
    assert all(
        p.headers.get("retry-after") and p.body["error"]["code"] == "service_unavailable" for p in probes
    )

    records = sorted((r for s in shoppers for r in s.records), key=lambda r: r.started)
    statuses = {r.status for r in records}
    # Answered throughout: success, or 503 "try again"; never a 500, never a dropped connection.
    assert statuses <= {200, 201, 503}, sorted(statuses)
    assert shop.process.poll() is None, "scripts/serve stopped: the web server, worker or scheduler exited"
    late = [r for r in records if r.started > came_back + RECOVERY_GRACE]
    assert late, "no request was sent after the database came back"
    assert all(r.status in (200, 201) for r in late), [(r.step, r.status) for r in late if r.status >= 300]
    orders = {key: number for s in shoppers for key, number in s.orders.items()}
    placed_after = [t for s in shoppers for t in s.placed_at if t > came_back]
    assert len(set(orders.values())) == len(orders), "two idempotency keys got the same order"

    # Nothing lost, nothing twice: every order the shoppers were told about exists once and
    # the worker (which lived through the restart) confirms it, charged exactly once.
    deadline = time.monotonic() + CONFIRM_TIMEOUT
    while True:
        with cluster.connect() as conn:
            rows = dict(conn.execute("SELECT number, status FROM orders_order").fetchall())
        if all(rows.get(number) == "confirmed" for number in orders.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert set(rows) == set(orders.values()), "orders in the database differ from those told"
    assert {rows[number] for number in orders.values()} == {"confirmed"}, rows
    with cluster.connect() as conn:
        charges = conn.execute(
            "SELECT p.ref, COUNT(c.id) FROM payments_payment p"
            " JOIN testgateway_charge c ON c.reference = p.gateway_reference"
            " WHERE c.status <> 'failed' GROUP BY p.ref"
        ).fetchall()
        held = conn.execute(
            "SELECT SUM(quantity), SUM(allocated), SUM(reserved) FROM inventory_stock"
        ).fetchone()
    assert dict(charges) == {f"order:{number}": 1 for number in orders.values()}
    quantity, allocated, reserved = held
    assert allocated + reserved >= len(orders)
    assert allocated <= quantity
    print(
        f"\n{len(records)} shopper requests, {sum(r.status == 503 for r in records)} answered 503"
        f" ({came_back - went_down:.1f} s down, {len(probes)} probes), {len(orders)} orders,"
        f" {len(placed_after)} placed after the restart"
    )
