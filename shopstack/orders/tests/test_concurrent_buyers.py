"""200 anonymous buyers race for 10 units through the public API of a running server.

Each buyer is a separate HTTP client talking to pytest-django's live server (a threaded
WSGI server on the test database, on either tier): it fills a guest cart, then, all
released at once, starts a checkout (which reserves stock), gives its email, address and
shipping method, and places the order with an Idempotency-Key and the test gateway's
`tok_success` card token (with the in-process task backend the payment workflow runs
inside the place request, against the test gateway served by the same live server).

Exactly 10 buyers must end with an order; every other one must be told, with a 409 JSON
answer with code `out_of_stock`, that the item is out of stock (never a 5xx), whether it
lost the race while reserving or the units were already gone as its checkout began. A
watcher reads the stock row all along and must never see more units held (allocated +
reserved) than there are, nor a negative count.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from shopstack.inventory.models import Stock
from shopstack.orders.models import Order, OrderLine
from shopstack.payments.models import Payment
from shopstack.testing.checkout import ADDRESS, ensure_checkout_data, method
from shopstack.testing.inventory import make_stocked_variant, stock_of
from shopstack.testing.orders import ORDER_APPS
from shopstack.testing.payments import GatewayHarness

pytestmark = pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)

BUYERS = 200
UNITS = 10
# The live server opens one database connection per request thread, and PostgreSQL
# allows 100 in all (the test process, the watcher and gateway calls need some too).
WORKERS = 50
BACKLOG = 1024
API = "/api/v1"
CART_TOKEN = "X-Cart-Token"


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def call(
    base: str, method_: str, path: str, payload: Any = None, headers: dict[str, str] | None = None
) -> Answer:
    """One JSON request to the live server, as a mobile app would send it (no cookies)."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{base}{API}{path}",
        data=data,
        method=method_,
        headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw, status, got = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw, status, got = error.read(), error.code, dict(error.headers)
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")[:500]
    return Answer(status, body, got)


def is_out_of_stock(answer: Answer) -> bool:
    """A 409 JSON refusal with code `out_of_stock` and a message: the one answer for "out
    of stock", whether the buyer lost the race while reserving the units or they were
    already gone as the checkout began (the check before reserving)."""
    if answer.status != 409 or not isinstance(answer.body, dict):
        return False
    error = answer.body.get("error") or {}
    if not error.get("message"):
        return False
    return error.get("code") == "out_of_stock" and bool((error.get("fields") or {}).get("cart"))


@dataclass
class Buyer:
    number: int
    cart_token: str = ""
    order_number: str = ""
    refused_at: str = ""  # the step that answered out_of_stock
    refusal: Answer | None = None
    unexpected: list[tuple[str, Answer]] = field(default_factory=list)

    def fill_cart(self, base: str, variant_id: int) -> None:
        answer = call(base, "POST", "/cart/lines", {"variant_id": variant_id, "quantity": 1})
        if answer.status != 201:
            self.unexpected.append(("cart", answer))
            return
        self.cart_token = answer.headers.get(CART_TOKEN) or answer.body["token"]

    def check_out(self, base: str, method_id: int) -> None:
        """Start the checkout, fill in every step and place; stop at the first refusal."""
        headers = {CART_TOKEN: self.cart_token}
        started = call(base, "POST", "/checkout", headers=headers)
        if not self._ok("start", started, 201):
            return
        token = started.body["token"]
        steps = [
            ("contact", f"/checkout/{token}/contact", {"email": f"buyer{self.number}@example.com"}),
            ("address", f"/checkout/{token}/address", {"shipping": ADDRESS}),
            ("shipping", f"/checkout/{token}/shipping-method", {"method_id": method_id}),
        ]
        for step, path, payload in steps:
            if not self._ok(step, call(base, "PUT", path, payload, headers), 200):
                return
        placed = call(
            base,
            "POST",
            f"/checkout/{token}/place",
            {"payment_token": "tok_success"},
            {**headers, "Idempotency-Key": str(uuid.uuid4())},
        )
        if self._ok("place", placed, 201):
            self.order_number = placed.body["number"]

    def _ok(self, step: str, answer: Answer, expected: int) -> bool:
        if answer.status == expected:
            return True
        if is_out_of_stock(answer):
            self.refused_at, self.refusal = step, answer
        else:
            self.unexpected.append((step, answer))
        return False


class StockWatcher(threading.Thread):
    """Reads the stock row over and over on its own connection while the buyers run."""

    def __init__(self, stock_pk: int) -> None:
        super().__init__(daemon=True)
        self.stock_pk = stock_pk
        self.stop = threading.Event()
        self.samples: list[tuple[int, int, int]] = []
        self.errors: list[Exception] = []

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                try:
                    self.samples.append(
                        Stock.objects.filter(pk=self.stock_pk)
                        .values_list("quantity", "allocated", "reserved")
                        .get()
                    )
                except Exception as error:  # a failed read is reported, not fatal
                    self.errors.append(error)
                time.sleep(0.002)
        finally:
            connection.close()


def in_pool(work: list, *, gate: threading.Event | None = None) -> None:
    def run(job):
        if gate is not None:
            gate.wait()
        job()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(run, job) for job in work]
        if gate is not None:
            gate.set()
        for future in futures:
            future.result()


def test_two_hundred_buyers_over_http_for_ten_units_exactly_ten_orders(
    live_gateway: GatewayHarness, live_server: Any, settings: Any
) -> None:
    # Every buyer comes from 127.0.0.1: the per-address API limit would throttle them.
    settings.API_THROTTLE_ANON = "100000/m"
    ensure_checkout_data()
    variant = make_stocked_variant(stock=UNITS, price="10.00")
    stock = stock_of(variant)
    method_id = method("uk-standard").pk
    base = live_server.url
    # Django's test server listens with a backlog of 10 connections: dozens of buyers
    # connecting at once overflow it and the kernel resets them. A production server
    # listens with a long queue; give the test server one too (listen() again resizes it).
    live_server.thread.httpd.socket.listen(BACKLOG)
    buyers = [Buyer(number) for number in range(BUYERS)]

    # Every cart holds the item before anyone checks out (carts reserve nothing).
    in_pool([lambda b=b: b.fill_cart(base, variant.pk) for b in buyers])
    assert [(b.number, s, a.status, a.body) for b in buyers for s, a in b.unexpected] == []

    watcher = StockWatcher(stock.pk)
    watcher.start()
    started = time.monotonic()
    try:
        in_pool([lambda b=b: b.check_out(base, method_id) for b in buyers], gate=threading.Event())
    finally:
        watcher.stop.set()
        watcher.join(timeout=30)
    elapsed = time.monotonic() - started

    # Every buyer got an order or a clear out-of-stock refusal: never a 5xx or another error.
    assert [(b.number, s, a.status, a.body) for b in buyers for s, a in b.unexpected] == []
    winners = [b for b in buyers if b.order_number]
    losers = [b for b in buyers if b.refused_at]
    assert len(winners) == UNITS, (
        f"{len(winners)} orders in {elapsed:.1f}s",
        list(Order.objects.values_list("number", "status", "payment_status")),
    )
    assert len(losers) == BUYERS - UNITS
    codes = Counter(b.refusal.body["error"]["code"] for b in losers if b.refusal is not None)
    print(
        f"\n{BUYERS} buyers, {WORKERS} at a time: {elapsed:.1f}s; refusals by step "
        f"{dict(Counter(b.refused_at for b in losers))}, by code {dict(codes)}"
    )
    assert {b.refused_at for b in losers} <= {"start", "contact", "address", "shipping", "place"}

    # The database agrees: ten orders of one unit each, nothing oversold.
    orders = Order.objects.all()
    assert sorted(o.number for o in orders) == sorted(b.order_number for b in winners)
    assert OrderLine.objects.filter(variant=variant).aggregate(units=Sum("quantity"))["units"] == UNITS
    assert set(OrderLine.objects.values_list("quantity", flat=True)) == {1}
    assert Payment.objects.count() == UNITS
    # Each of them sold: authorized, confirmed, none cancelled (which would free its unit).
    assert {(o.status, o.payment_status) for o in orders} == {(Order.Status.CONFIRMED, "authorized")}
    final = stock_of(variant)
    shipped = OrderLine.objects.aggregate(units=Sum("quantity_shipped"))["units"] or 0
    assert min(final.quantity, final.allocated, final.reserved) >= 0
    assert final.allocated + shipped == UNITS
    assert final.reserved == 0
    assert final.quantity + shipped == UNITS

    # And it agreed all along.
    assert watcher.errors == []
    assert len(watcher.samples) > 10
    over = [s for s in watcher.samples if s[1] + s[2] > s[0] or min(s) < 0]
    assert over == []
