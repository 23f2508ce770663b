"""One simulated shopper of the checkout bench: a thread with its own keep-alive
connection that repeats the API checkout flow, thinking between requests."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from typing import Any

from bench.checkout_stats import StepStats, Think, server_timing
from bench.server import HOST


class Shopper(threading.Thread):
    def __init__(
        self,
        index: int,
        port: int,
        variants: list[int],
        country: str,
        stop_at: float,
        stats: dict[str, StepStats],
        placed: list[str],
        lock: threading.Lock,
        think: Think | None = None,
    ) -> None:
        super().__init__(name=f"shopper-{index}", daemon=True)
        self.index, self.port, self.variants, self.country = index, port, variants, country
        self.stop_at, self.stats, self.placed, self.lock = stop_at, stats, placed, lock
        self.think = think or Think(0, 0)
        self.rng = random.Random(index)
        self.conn: http.client.HTTPConnection | None = None
        self.notes: list[str] = []

    def _request(
        self, step: str, method: str, path: str, body: dict[str, Any] | None, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        payload = json.dumps(body).encode() if body is not None else None
        hdrs = {"Content-Type": "application/json", "Accept": "application/json", **headers}
        status, answer, data = 0, {}, None
        pause = self.think.pause(self.rng)
        if pause:
            time.sleep(pause)
        start = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
            self.conn.request(method, path, body=payload, headers=hdrs)
            response = self.conn.getresponse()
            raw = response.read()
            status = response.status
            answer = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException) as error:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            raw = b""
            self._note(f"{step}: {type(error).__name__}: {error}")
        elapsed = (time.perf_counter() - start) * 1000
        timing = server_timing(answer.get("server-timing"))
        with self.lock:
            self.stats[step].add(elapsed, status, timing)
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if status and not 200 <= status < 300:
            self._note(f"{step}: {status} {raw[:300]!r}")
        return status, answer, data

    def _note(self, text: str) -> None:
        if len(self.notes) < 5:
            self.notes.append(text)

    def run(self) -> None:
        n = 0
        # Shoppers arrive spread over one think time, not all in the same instant.
        time.sleep(self.rng.uniform(0, self.think.high))
        while time.monotonic() < self.stop_at:
            n += 1
            self.flow(n)
        if self.conn is not None:
            self.conn.close()

    def flow(self, n: int) -> None:
        variant = self.rng.choice(self.variants)
        status, headers, cart = self._request(
            "add_to_cart", "POST", "/api/v1/cart/lines", {"variant_id": variant, "quantity": 1}, {}
        )
        cart_token = headers.get("x-cart-token") or (cart or {}).get("token")
        if status != 201 or not cart_token:
            return
        auth = {"X-Cart-Token": cart_token}
        status, _, checkout = self._request("start", "POST", "/api/v1/checkout", None, auth)
        if status != 201 or not checkout:
            return
        base = f"/api/v1/checkout/{checkout['token']}"
        email = f"bench-{self.index}-{n}-{uuid.uuid4().hex[:6]}@example.com"
        status, _, _ = self._request("contact", "PUT", f"{base}/contact", {"email": email}, auth)
        if status != 200:
            return
        address = {
            "full_name": f"Bench Shopper {self.index}",
            "line1": "1 Test Street",
            "city": "London",
            "postal_code": "SW1A 1AA",
            "country": self.country,
        }
        status, _, checkout = self._request("address", "PUT", f"{base}/address", {"shipping": address}, auth)
        options = (checkout or {}).get("shipping_options") or []
        if status != 200 or not options:
            if status == 200:
                self._note("address: no shipping option for the address")
            return
        method = {"method_id": options[0]["method_id"]}
        status, _, _ = self._request("shipping", "PUT", f"{base}/shipping-method", method, auth)
        if status != 200:
            return
        key = {**auth, "Idempotency-Key": str(uuid.uuid4())}
        status, _, order = self._request(
            "place", "POST", f"{base}/place", {"payment_token": "tok_success"}, key
        )
        if status == 201 and order:
            with self.lock:
                self.placed.append(order["number"])
