"""The test gateway's rules: what each test card does, charges, refunds, challenges, webhooks.

This is the *provider's* side of the HTTP boundary. It answers like a real gateway would,
including the awkward cases: a charge that is made but answered too late (the `timeout`
card), a repeat of a request with the same idempotency key (the first answer again), and
a 3-D Secure style challenge completed later in the customer's browser, and a request
that reaches the gateway only after the client gave up on it (the `late` card).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from shopstack.core.money import quantize
from shopstack.payments.testgateway.models import (
    LedgerCharge,
    LedgerIdempotencyKey,
    LedgerRefund,
    LedgerToken,
    LedgerWebhook,
)

# Card numbers the hosted form knows; any other number that passes the Luhn check succeeds.
TEST_CARDS: dict[str, str] = {
    "4242424242424242": "success",
    "4000000000000002": "decline",
    "4000000000009995": "insufficient_funds",
    "4000000000003220": "action_required",
    "4000000000000119": "timeout",
    "4000000000000127": "late",
}
OUTCOMES = ("success", "decline", "insufficient_funds", "action_required", "timeout", "late")
# Fixed tokens for API-only tests, like a real provider's test tokens.
FIXED_TOKENS: dict[str, str] = {f"tok_{outcome}": outcome for outcome in OUTCOMES}
SIGNATURE_HEADER = "Shopstack-Test-Signature"

Answer = tuple[int, dict[str, Any]]


class LedgerError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def answer(self) -> Answer:
        return self.status, {"error": {"code": self.code, "message": self.message, "fields": {}}}


def config() -> dict[str, Any]:
    return {"API_KEY": "", "WEBHOOK_SECRET": "", "SLOW_SECONDS": 30.0, **settings.TEST_GATEWAY}


class HeldRequests:
    """The slow cards' requests the gateway is holding back, each for at most SLOW_SECONDS.

    A test in the same process releases them when it has seen what it wanted (the client's
    timeout, a lookup that finds nothing yet) instead of waiting out a guessed duration, so
    nothing depends on how fast the machine is.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._released = False
        self._held = 0  # waiting in hold()
        self._active = 0  # inside a tracked() request, held or not

    @property
    def count(self) -> int:
        with self._changed:
            return self._held

    @contextmanager
    def tracked(self) -> Iterator[None]:
        """A request that may be held: release() waits until it has finished its work."""
        with self._changed:
            self._active += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._changed.notify_all()

    def hold(self, seconds: float) -> None:
        """Hold the calling request for `seconds`, or until release()."""
        with self._changed:
            self._held += 1
            self._changed.notify_all()
            try:
                self._changed.wait_for(lambda: self._released, timeout=seconds)
            finally:
                self._held -= 1
                self._changed.notify_all()

    def release(self, *, timeout: float) -> None:
        """Let every held request go on and wait until all tracked requests have finished;
        requests that come later are held again."""
        with self._changed:
            self._released = True
            self._changed.notify_all()
            try:
                if not self._changed.wait_for(lambda: self._active == 0, timeout=timeout):
                    raise TimeoutError(f"{self._active} gateway requests still running after {timeout:g} s")
            finally:
                self._released = False


held_requests = HeldRequests()


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(int(d) for d in reversed(number)):
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def token_create(*, card_number: str) -> LedgerToken:
    """Tokenize a card: only the outcome and the last four digits are kept."""
    number = "".join(card_number.split()).replace("-", "")
    if not luhn_valid(number):
        raise LedgerError(400, "invalid_card_number", "This card number is not valid.")
    return LedgerToken.objects.create(
        token=f"tok_{secrets.token_hex(12)}",
        outcome=TEST_CARDS.get(number, "success"),
        last4=number[-4:],
        brand="visa" if number.startswith("4") else "card",
    )


def token_outcome(token: str) -> str:
    if token in FIXED_TOKENS:
        return FIXED_TOKENS[token]
    row = LedgerToken.objects.filter(token=token).first()
    if row is None:
        raise LedgerError(400, "invalid_token", "No such card token.")
    return row.outcome


def parse_amount(value: object, *, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise LedgerError(400, "invalid_amount", f"{field} must be a decimal string.") from None
    if not amount.is_finite() or amount <= 0 or isinstance(value, float):
        raise LedgerError(400, "invalid_amount", f"{field} must be a positive decimal string.")
    return amount


def charge_json(charge: LedgerCharge, *, action_url: str = "") -> dict[str, Any]:
    def money(amount: Decimal) -> str:
        return str(quantize(Decimal(amount), charge.currency))

    return {
        "id": charge.reference,
        "object": "charge",
        "status": charge.status,
        "amount": money(charge.amount),
        "currency": charge.currency,
        "captured_amount": money(charge.captured_amount),
        "refunded_amount": money(charge.refunded_amount),
        "decline_code": charge.decline_code,
        "action_url": action_url if charge.status == "action_required" else "",
        "idempotency_key": charge.idempotency_key,
    }


def idempotent(*, key: str, endpoint: str, request: dict[str, Any], perform: Callable[[], Answer]) -> Answer:
    """Run `perform` once per key and store its answer; a repeat gets that answer back.

    The key row and the effect commit together; a concurrent repeat waits on the unique
    key, then reads the stored answer. The same key for a different request is a 409.
    """
    if not key or len(key) > 128:
        raise LedgerError(400, "idempotency_key_required", "Send an Idempotency-Key header.")
    fingerprint = hashlib.sha256(
        json.dumps([endpoint, request], sort_keys=True, default=str).encode()
    ).hexdigest()
    try:
        with transaction.atomic():
            row = LedgerIdempotencyKey.objects.create(key=key, endpoint=endpoint, fingerprint=fingerprint)
            try:
                status, body = perform()
            except LedgerError as error:
                status, body = error.answer()
            row.response_status, row.response_body = status, body
            row.save(update_fields=["response_status", "response_body"])
            return status, body
    except IntegrityError:
        row = LedgerIdempotencyKey.objects.filter(key=key).first()
        if row is None:
            raise
    if row.fingerprint != fingerprint:
        raise LedgerError(409, "idempotency_key_reused", "This key was used for a different request.")
    return row.response_status, row.response_body


def charge_create(
    *, key: str, data: dict[str, Any], challenge_url: Callable[[str], str]
) -> tuple[int, dict[str, Any], bool]:
    """Authorize: (status, body, slow). `slow` is true the first time a `timeout` card is charged."""
    amount = parse_amount(data.get("amount"))
    currency = str(data.get("currency", "")).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise LedgerError(400, "invalid_currency", "currency must be an ISO 4217 code.")
    token = str(data.get("token", ""))
    request = {"amount": str(amount), "currency": currency, "token": token}
    slow = False

    def perform() -> Answer:
        nonlocal slow
        outcome = token_outcome(token)
        slow = outcome == "timeout"
        status = {
            "success": "authorized",
            "timeout": "authorized",  # charged, but the answer comes too late (see views)
            "late": "authorized",  # charged, but only after the request was held up (see views)
            "decline": "declined",
            "insufficient_funds": "insufficient_funds",
            "action_required": "action_required",
        }[outcome]
        charge = LedgerCharge.objects.create(
            reference=f"ch_{secrets.token_hex(10)}",
            idempotency_key=key,
            amount=amount,
            currency=currency,
            token=token,
            status=status,
            decline_code={"decline": "card_declined", "insufficient_funds": "insufficient_funds"}.get(
                outcome, ""
            ),
            return_url=str(data.get("return_url") or "")[:500],
            webhook_url=str(data.get("webhook_url") or "")[:500],
        )
        return 201, charge_json(charge, action_url=challenge_url(charge.reference))

    status, body = idempotent(key=key, endpoint="charges", request=request, perform=perform)
    return status, body, slow and status == 201


def arrives_late(*, key: str, data: dict[str, Any]) -> bool:
    """True for the first request of a `late` card: the gateway holds it back before acting
    (as if it were stuck in the network), so the charge appears after the client gave up."""
    token = str(data.get("token", ""))
    try:
        late = token_outcome(token) == "late"
    except LedgerError:
        return False
    return late and not LedgerIdempotencyKey.objects.filter(key=key).exists()


def _locked_charge(reference: str) -> LedgerCharge:
    charge = LedgerCharge.objects.select_for_update().filter(reference=reference).first()
    if charge is None:
        raise LedgerError(404, "not_found", "No such charge.")
    return charge


def charge_capture(*, key: str, reference: str, data: dict[str, Any]) -> Answer:
    def perform() -> Answer:
        charge = _locked_charge(reference)
        amount = parse_amount(data["amount"]) if data.get("amount") is not None else charge.amount
        if charge.status != "authorized":
            raise LedgerError(409, "not_capturable", f"A {charge.status} charge cannot be captured.")
        if amount > charge.amount:
            raise LedgerError(400, "amount_too_large", "Capture more than was authorized.")
        charge.status, charge.captured_amount = "captured", amount
        charge.save(update_fields=["status", "captured_amount", "updated_at"])
        return 200, charge_json(charge)

    return idempotent(key=key, endpoint=f"capture:{reference}", request=data, perform=perform)


def charge_void(*, key: str, reference: str) -> Answer:
    def perform() -> Answer:
        charge = _locked_charge(reference)
        if charge.status != "authorized":
            raise LedgerError(409, "not_voidable", f"A {charge.status} charge cannot be voided.")
        charge.status = "voided"
        charge.save(update_fields=["status", "updated_at"])
        return 200, charge_json(charge)

    return idempotent(key=key, endpoint=f"void:{reference}", request={}, perform=perform)


def charge_refund(*, key: str, reference: str, data: dict[str, Any]) -> Answer:
    def perform() -> Answer:
        charge = _locked_charge(reference)
        amount = parse_amount(data.get("amount"))
        if charge.status not in {"captured", "partially_refunded"}:
            raise LedgerError(409, "not_refundable", f"A {charge.status} charge cannot be refunded.")
        if amount > charge.captured_amount - charge.refunded_amount:
            raise LedgerError(400, "amount_too_large", "Refund more than is left of the capture.")
        refund = LedgerRefund.objects.create(
            reference=f"re_{secrets.token_hex(10)}", charge=charge, amount=amount
        )
        charge.refunded_amount += amount
        charge.status = (
            "refunded" if charge.refunded_amount == charge.captured_amount else "partially_refunded"
        )
        charge.save(update_fields=["status", "refunded_amount", "updated_at"])
        return 201, {
            "id": refund.reference,
            "object": "refund",
            "amount": str(amount),
            "charge": charge_json(charge),
        }

    return idempotent(key=key, endpoint=f"refund:{reference}", request=data, perform=perform)


def challenge_complete(*, reference: str, approved: bool) -> LedgerCharge:
    """The customer passed (or failed) the challenge: settle the charge and tell the shop."""
    with transaction.atomic():
        charge = _locked_charge(reference)
        if charge.status != "action_required":
            return charge  # a second click changes nothing
        charge.status = "authorized" if approved else "failed"
        charge.decline_code = "" if approved else "authentication_failed"
        charge.save(update_fields=["status", "decline_code", "updated_at"])
        webhook_create(charge=charge, type=f"charge.{charge.status}")
    return charge


def webhook_create(*, charge: LedgerCharge, type: str) -> LedgerWebhook | None:
    """Queue a signed event for the shop; delivered after commit by a task, with retries."""
    if not charge.webhook_url:
        return None
    event_id = f"evt_{secrets.token_hex(12)}"
    body = json.dumps(
        {"id": event_id, "type": type, "created": int(time.time()), "data": charge_json(charge)},
        separators=(",", ":"),
    )
    webhook = LedgerWebhook.objects.create(event_id=event_id, type=type, url=charge.webhook_url, body=body)

    def deliver() -> None:
        from shopstack.payments.testgateway.tasks import testgateway_webhook_deliver

        testgateway_webhook_deliver.enqueue(webhook.pk)

    transaction.on_commit(deliver)
    return webhook


def sign(body: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """The signature header value: t=<unix time>,v1=<HMAC-SHA256 of "t." + body>."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def hosted_form_signature(*, session: str, return_url: str) -> str:
    return hmac.new(
        config()["API_KEY"].encode(), f"{session}|{return_url}".encode(), hashlib.sha256
    ).hexdigest()
