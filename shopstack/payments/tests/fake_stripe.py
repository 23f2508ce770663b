"""A fake Stripe for the tests: a small HTTP server on 127.0.0.1 speaking the part of
Stripe's API the StripeGateway uses, with its JSON shapes, form-encoded requests, minor
units, errors (402 card_error with the PaymentIntent, 400 invalid_request_error and
idempotency_error, 401) and idempotent replays (`Idempotent-Replayed: true`).

Faults are injected at the HTTP boundary: `fail_next(429)` / `fail_next(500)` answer the
next requests with that status before doing anything; the `pm_card_shopstack_slow`
method makes the charge and then holds the answer back (a timeout with money moved) for
`slow_seconds` or until the test calls `held.release()`.

This stands in for the provider only; nothing of the shop is faked.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from shopstack.payments.testgateway.ledger import HeldRequests

# Stripe's documented test PaymentMethods (and one of ours for a slow answer).
METHODS = {
    "pm_card_visa": "success",
    "pm_card_chargeDeclined": "decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
    "pm_card_threeDSecureRequired": "action_required",
    "pm_card_shopstack_slow": "timeout",
}
CARDS = {
    "4242424242424242": "success",
    "4000000000000002": "decline",
    "4000000000009995": "insufficient_funds",
    "4000000000003220": "action_required",
    "4000000000000119": "timeout",
}
SEARCH = re.compile(r"^metadata\['(?P<name>[^']+)'\]:'(?P<value>(?:[^'\\]|\\.)*)'$")

Answer = tuple[int, dict[str, Any]]


class StripeFailure(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", ""))
        self.status, self.error = status, error


def invalid(message: str, *, code: str = "", status: int = 400) -> StripeFailure:
    error = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
    return StripeFailure(status, error)


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    digits = [int(d) for d in reversed(number)]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


@dataclass
class FakeStripe:
    api_key: str = "sk_test_fake_stripe"
    slow_seconds: float = 600.0
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    methods: dict[str, str] = field(default_factory=dict)  # pm id -> outcome
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)  # intent id -> minor units back
    keys: dict[str, tuple[str, int, dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, key
    replays: int = 0
    faults: list[int] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    held: HeldRequests = field(default_factory=HeldRequests)
    url: str = ""

    def fail_next(self, status: int, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([status] * times)

    # --- the API ----------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, query: dict[str, Any], form: list[tuple[str, str]], headers: Any
    ):
        """(status, body, extra headers, seconds to hold the answer back)."""
        key = headers.get("Idempotency-Key", "")
        fingerprint = hashlib.sha256(json.dumps([path, sorted(form)]).encode()).hexdigest()
        with self.lock:
            self.requests.append((method, path, key))
            if self.faults:
                status = self.faults.pop(0)
                kind = "rate_limit" if status == 429 else "api_error"
                error = {"type": "api_error" if status >= 500 else "invalid_request_error", "message": kind}
                if status == 429:
                    error["code"] = "rate_limit"
                return status, {"error": error}, {}, 0.0
            if headers.get("Authorization") != f"Bearer {self.api_key}":
                return (
                    401,
                    {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
                    {},
                    0.0,
                )
            if method == "POST" and key and key in self.keys:
                first, status, body = self.keys[key]
                if first != fingerprint:
                    error = {
                        "type": "idempotency_error",
                        "message": "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                    }
                    return 400, {"error": error}, {}, 0.0
                self.replays += 1
                return status, body, {"Idempotent-Replayed": "true"}, 0.0
            slow = False
            try:
                status, body = self.route(method, path, query, form)
                slow = body.pop("_slow", False) if isinstance(body, dict) else False
            except StripeFailure as failure:
                status, body = failure.status, {"error": failure.error}
            if method == "POST" and key:
                self.keys[key] = (fingerprint, status, body)
        return status, body, {}, self.slow_seconds if slow else 0.0

    def route(self, method: str, path: str, query: dict[str, Any], form: list[tuple[str, str]]) -> Answer:
        data = dict(form)
        parts = path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "payment_intents"]:
            return self.intent_create(data)
        if method == "GET" and parts == ["v1", "payment_intents", "search"]:
            return self.intent_search(str(query.get("query", "")))
        if len(parts) >= 3 and parts[:2] == ["v1", "payment_intents"]:
            intent = self.intents.get(parts[2])
            if intent is None:
                raise invalid(f"No such payment_intent: '{parts[2]}'", code="resource_missing", status=404)
            if method == "GET" and len(parts) == 3:
                return 200, intent
            if method == "POST" and parts[3:] == ["capture"]:
                return self.intent_capture(intent, data)
            if method == "POST" and parts[3:] == ["cancel"]:
                return self.intent_cancel(intent)
        if method == "POST" and parts == ["v1", "refunds"]:
            return self.refund_create(data, expand=[v for k, v in form if k == "expand[]"])
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self.session_create(data)
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            session = self.sessions.get(parts[3])
            if session is None:
                raise invalid("No such checkout.session", code="resource_missing", status=404)
            return 200, session
        raise invalid(f"Unrecognized request URL ({method}: {path}).", status=404)

    def intent_create(self, data: dict[str, str]) -> Answer:
        for name in ("amount", "currency", "payment_method"):
            if not data.get(name):
                raise invalid(f"Missing required param: {name}.", code="parameter_missing")
        if not data["amount"].isdigit() or int(data["amount"]) < 1:
            raise invalid("Invalid integer: amount", code="parameter_invalid_integer")
        outcome = METHODS.get(data["payment_method"]) or self.methods.get(data["payment_method"])
        if outcome is None:
            raise invalid(f"No such PaymentMethod: '{data['payment_method']}'", code="resource_missing")
        amount = int(data["amount"])
        intent: dict[str, Any] = {
            "id": f"pi_{secrets.token_hex(12)}",
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "currency": data["currency"],
            "capture_method": data.get("capture_method", "automatic"),
            "status": "requires_capture",
            "metadata": {k[9:-1]: v for k, v in data.items() if k.startswith("metadata[")},
            "payment_method": data["payment_method"],
            "last_payment_error": None,
            "next_action": None,
            "latest_charge": None,
        }
        self.intents[intent["id"]] = intent
        if outcome in {"decline", "insufficient_funds"}:
            decline = "insufficient_funds" if outcome == "insufficient_funds" else "generic_decline"
            error = {"type": "card_error", "code": "card_declined", "decline_code": decline}
            error["message"] = "Your card was declined."
            intent["status"], intent["last_payment_error"] = "requires_payment_method", dict(error)
            raise StripeFailure(402, {**error, "payment_intent": dict(intent)})
        if outcome == "action_required":
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "url": f"{self.url}/authenticate/{intent['id']}",
                    "return_url": data.get("return_url"),
                },
            }
            return 200, dict(intent)
        intent["amount_capturable"] = amount
        intent["latest_charge"] = f"ch_{secrets.token_hex(12)}"
        return 200, {**intent, "_slow": outcome == "timeout"}

    def intent_search(self, query: str) -> Answer:
        match = SEARCH.match(query)
        if match is None:
            raise invalid("Invalid search query.", code="parameter_invalid_string")
        value = re.sub(r"\\(.)", r"\1", match["value"])
        found = [i for i in self.intents.values() if i["metadata"].get(match["name"]) == value]
        return 200, {"object": "search_result", "data": found, "has_more": False}

    def intent_capture(self, intent: dict[str, Any], data: dict[str, str]) -> Answer:
        if intent["status"] != "requires_capture":
            raise invalid(
                f"This PaymentIntent could not be captured because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        amount = int(data.get("amount_to_capture") or intent["amount_capturable"])
        if amount > intent["amount_capturable"]:
            raise invalid("amount_to_capture is greater than amount_capturable.", code="amount_too_large")
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return 200, dict(intent)

    def intent_cancel(self, intent: dict[str, Any]) -> Answer:
        if intent["status"] in {"succeeded", "canceled"}:
            raise invalid(
                f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        intent.update(status="canceled", amount_capturable=0, next_action=None)
        return 200, dict(intent)

    def refund_create(self, data: dict[str, str], *, expand: list[str]) -> Answer:
        intent = self.intents.get(data.get("payment_intent", ""))
        if intent is None:
            raise invalid("No such payment_intent", code="resource_missing", status=404)
        if intent["status"] != "succeeded":
            raise invalid(
                "This PaymentIntent has no successful charge to refund.",
                code="payment_intent_unexpected_state",
            )
        refunded = self.refunded.get(intent["id"], 0)
        left = intent["amount_received"] - refunded
        amount = int(data.get("amount") or left)
        if amount > left:
            raise invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount ({left}).",
                code="amount_too_large",
            )
        refunded = self.refunded[intent["id"]] = refunded + amount
        charge = {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount_received"],
            "amount_refunded": refunded,
            "refunded": refunded == intent["amount_received"],
        }
        refund = {
            "id": f"re_{secrets.token_hex(12)}",
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "status": "succeeded",
            "charge": charge if "charge" in expand else charge["id"],
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    def session_create(self, data: dict[str, str]) -> Answer:
        if data.get("mode") != "setup" or not data.get("success_url"):
            raise invalid("mode=setup and success_url are required here.", code="parameter_missing")
        session_id = f"cs_test_{secrets.token_hex(16)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "setup",
            "url": f"{self.url}/pay/{session_id}",
            "success_url": data["success_url"],
            "cancel_url": data.get("cancel_url"),
            "client_reference_id": data.get("client_reference_id"),
            "setup_intent": {
                "id": f"seti_{secrets.token_hex(12)}",
                "object": "setup_intent",
                "payment_method": None,
            },
        }
        self.sessions[session_id] = session
        return 200, session

    # --- the hosted card page (checkout.stripe.com's part) --------------------------------------

    def pay_page(self, session_id: str, form: dict[str, str] | None) -> tuple[int, str, str]:
        """(status, Location, HTML)."""
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                return 404, "", "No such session."
            if form is None:
                page = (
                    f'<form method="post"><input type="hidden" name="session" value="{session_id}">'
                    '<input name="card_number"><button>Save card</button></form>'
                )
                return 200, "", page
            number = "".join(form.get("card_number", "").split())
            if not luhn_valid(number):
                return 400, "", "This card number is not valid."
            method_id = f"pm_{secrets.token_hex(12)}"
            self.methods[method_id] = CARDS.get(number, "success")
            session["setup_intent"]["payment_method"] = method_id
            session["status"] = "complete"
            return 302, session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id), ""

    # --- serving ------------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = parse_qsl(raw, keep_blank_values=True)
                if url.path.startswith("/pay/"):
                    status, location, page = fake.pay_page(
                        url.path[5:], dict(form) if method == "POST" else None
                    )
                    self._answer(
                        status, page.encode(), "text/html", {"Location": location} if location else {}
                    )
                    return
                query = dict(parse_qsl(url.query))
                with fake.held.tracked():
                    status, body, headers, hold = fake.handle(method, url.path, query, form, self.headers)
                    if hold:
                        fake.held.hold(hold)
                self._answer(status, json.dumps(body).encode(), "application/json", headers)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
