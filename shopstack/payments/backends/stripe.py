"""Stripe, through its REST API (PaymentIntents with manual capture), over plain HTTP.

Written on the standard library like the test gateway's client rather than with the
stripe SDK: the shop needs seven calls, and owning them keeps one error model for every
backend (GatewayError with `outcome_unknown`), one timeout that reconciliation can rely
on, and no second HTTP stack or global client configuration.

The mapping onto the shop's gateway contract:
- authorize: POST /v1/payment_intents with confirm=true and capture_method=manual.
  requires_capture is an authorization; requires_action (3-D Secure) gives the
  next_action.redirect_to_url; a decline is an HTTP 402 card_error carrying the
  PaymentIntent. The shop's idempotency key is sent as `Idempotency-Key` and stored in
  the PaymentIntent's metadata, which is how find() looks the charge up later (Stripe's
  search lags writes by up to a minute: `lookup_delay`).
- capture / void / refund: /capture, /cancel, and POST /v1/refunds (the refund's charge
  expanded, so one call gives the new refunded total).
- the card form: a Checkout Session in setup mode; the customer comes back with its id,
  which authorize() turns into the saved PaymentMethod. Tokens pm_... are used as given.
- webhooks: `Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "t." + body>`.
- 429 (rate limited) and 409 (the same key still in flight) are retried with backoff and
  the same key; Stripe-Should-Retry: false stops that. A 5xx answer leaves the outcome
  unknown (reconciliation settles it). Amounts go over the wire in minor units.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urljoin

from shopstack.core.money import minor_units
from shopstack.payments.backends.base import (
    GatewayError,
    GatewayResult,
    GatewayStatus,
    GatewayTimeout,
    InvalidSignature,
    PaymentGateway,
    WebhookEvent,
    WebhookType,
)
from shopstack.payments.backends.signing import timestamped_signature_verify

SIGNATURE_HEADER = "Stripe-Signature"
KEY_METADATA = "shopstack_idempotency_key"
WEBHOOK_TYPES = {
    "payment_intent.amount_capturable_updated": WebhookType.AUTHORIZED,
    "payment_intent.payment_failed": WebhookType.FAILED,
}
# A PaymentIntent's status in the shop's words (succeeded means captured here: the shop
# always captures manually; refunds are read from the charge).
INTENT_STATUSES = {
    "requires_capture": GatewayStatus.AUTHORIZED,
    "requires_action": GatewayStatus.ACTION_REQUIRED,
    "requires_payment_method": GatewayStatus.DECLINED,
    "canceled": GatewayStatus.VOIDED,
    "succeeded": GatewayStatus.CAPTURED,
}
# Stripe answers "payment_intent_unexpected_state" to every call a state forbids; the
# shop's contract names the refusal after the call.
STATE_CODES = {"capture": "not_capturable", "cancel": "not_voidable", "refund": "not_refundable"}
RETRY_STATUSES = {409, 429}

Params = Sequence[tuple[str, str]]


def to_minor(amount: Decimal, currency: str) -> int:
    minor = amount.scaleb(minor_units(currency))
    if minor != minor.to_integral_value():
        raise GatewayError(f"{amount} has more decimal places than {currency}.", code="invalid_amount")
    return int(minor)


def from_minor(value: int | None, currency: str) -> Decimal | None:
    if value is None:
        return None
    return Decimal(int(value)).scaleb(-minor_units(currency))


class StripeGateway(PaymentGateway):
    name = "stripe"
    lookup_delay = 60.0  # Stripe: "data is searchable in less than a minute"

    def __init__(
        self,
        *,
        base_url: str = "https://api.stripe.com/",
        api_key: str,
        webhook_secret: str,
        webhook_url: str = "",  # registered in Stripe's dashboard; accepted for a common OPTIONS
        timeout: float = 10.0,
        signature_tolerance: int = 300,
        max_retries: int = 2,
        retry_backoff: float = 0.5,
        api_version: str = "",
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.timeout = float(timeout)
        self.signature_tolerance = signature_tolerance
        self.max_retries = max_retries
        self.retry_backoff = retry_backoff
        self.api_version = api_version

    # --- HTTP -----------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, params: Params = (), *, idempotency_key: str = "", action: str = ""
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        if self.api_version:
            headers["Stripe-Version"] = self.api_version
        url, data = urljoin(self.base_url, path), None
        if method == "GET" and params:
            url = f"{url}?{urlencode(list(params))}"
        elif method == "POST":
            data = urlencode(list(params)).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if idempotency_key:
                headers["Idempotency-Key"] = idempotency_key
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                body = self._error_body(exc)
                should_retry = exc.headers.get("Stripe-Should-Retry")
                if exc.code in RETRY_STATUSES and should_retry != "false" and attempt < self.max_retries:
                    time.sleep(self.retry_backoff * 2**attempt)
                    continue
                raise self._http_error(exc.code, body, action=action) from None
            except TimeoutError as exc:
                raise self._timeout() from exc
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    raise self._timeout() from exc
                sent = not isinstance(exc.reason, ConnectionRefusedError)
                raise GatewayError(
                    f"Stripe could not be reached: {exc.reason}", code="unreachable", outcome_unknown=sent
                ) from exc
            except (OSError, ValueError) as exc:
                raise GatewayError(f"Stripe's answer was lost: {exc}", outcome_unknown=True) from exc
        raise AssertionError("unreachable")  # the loop returns or raises

    def _timeout(self) -> GatewayTimeout:
        return GatewayTimeout(f"Stripe did not answer within {self.timeout:g} s.")

    @staticmethod
    def _error_body(exc: urllib.error.HTTPError) -> dict[str, Any]:
        try:
            error = json.loads(exc.read() or b"{}").get("error")
        except ValueError:
            return {}
        return error if isinstance(error, dict) else {}

    def _http_error(self, status: int, error: dict[str, Any], *, action: str) -> GatewayError:
        code = error.get("code") or error.get("type") or "gateway_error"
        if error.get("type") == "idempotency_error":
            code = "idempotency_key_reused"
        elif code == "payment_intent_unexpected_state" and action in STATE_CODES:
            code = STATE_CODES[action]
        elif status == 429:
            code = "rate_limit"
        failure = GatewayError(
            error.get("message") or f"Stripe answered HTTP {status}.",
            code=code,
            http_status=status,
            outcome_unknown=status >= 500,
        )
        intent = error.get("payment_intent")
        if error.get("type") == "card_error" and isinstance(intent, dict) and intent.get("id"):
            # A decline is an answer, not a failure of the call: authorize() returns it.
            failure.declined_intent = self._intent_result(intent, error=error)  # type: ignore[attr-defined]
        return failure

    # --- answers --------------------------------------------------------------------------

    def _intent_result(self, intent: dict[str, Any], *, error: dict[str, Any] | None = None) -> GatewayResult:
        currency = str(intent.get("currency") or "").upper()
        status = INTENT_STATUSES.get(str(intent.get("status")), str(intent.get("status")))
        failure = error or intent.get("last_payment_error") or {}
        decline_code = ""
        if status == GatewayStatus.DECLINED:
            if failure.get("decline_code") == "insufficient_funds":
                status, decline_code = GatewayStatus.INSUFFICIENT_FUNDS, "insufficient_funds"
            else:
                decline_code = str(failure.get("code") or "card_declined")
        action = intent.get("next_action") or {}
        action_url = ""
        if status == GatewayStatus.ACTION_REQUIRED and action.get("type") == "redirect_to_url":
            action_url = str(action["redirect_to_url"]["url"])
        return GatewayResult(
            status=status,
            reference=str(intent["id"]),
            action_url=action_url,
            decline_code=decline_code,
            raw=intent,
            captured_amount=from_minor(intent.get("amount_received"), currency),
        )

    def _payment_method(self, token: str) -> str:
        """A PaymentMethod id: as given, or the one a Checkout Session (our card form) saved."""
        if not token.startswith("cs_"):
            return token
        session = self._call("GET", f"v1/checkout/sessions/{token}", [("expand[]", "setup_intent")])
        setup = session.get("setup_intent") or {}
        method = setup.get("payment_method") if isinstance(setup, dict) else None
        if not method:
            raise GatewayError(
                "The card form was not completed.",
                code="invalid_token",
                http_status=400,
                outcome_unknown=False,
            )
        return str(method)

    # --- PaymentGateway -------------------------------------------------------------------

    def authorize(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str, return_url: str
    ) -> GatewayResult:
        params = [
            ("amount", str(to_minor(amount, currency))),
            ("currency", currency.lower()),
            ("payment_method", self._payment_method(token)),
            ("payment_method_types[]", "card"),
            ("capture_method", "manual"),
            ("confirm", "true"),
            (f"metadata[{KEY_METADATA}]", idempotency_key),
        ]
        if return_url:
            params.append(("return_url", return_url))
        try:
            intent = self._call("POST", "v1/payment_intents", params, idempotency_key=idempotency_key)
        except GatewayError as error:
            declined = getattr(error, "declined_intent", None)
            if declined is not None:
                return declined
            raise
        return self._intent_result(intent)

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        currency = self._currency(reference)
        intent = self._call(
            "POST",
            f"v1/payment_intents/{reference}/capture",
            [("amount_to_capture", str(to_minor(amount, currency)))],
            idempotency_key=idempotency_key,
            action="capture",
        )
        return self._intent_result(intent)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        intent = self._call(
            "POST", f"v1/payment_intents/{reference}/cancel", idempotency_key=idempotency_key, action="cancel"
        )
        return self._intent_result(intent)

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        currency = self._currency(reference)
        refund = self._call(
            "POST",
            "v1/refunds",
            [
                ("payment_intent", reference),
                ("amount", str(to_minor(amount, currency))),
                ("expand[]", "charge"),
            ],
            idempotency_key=idempotency_key,
            action="refund",
        )
        charge = refund.get("charge") or {}
        captured = from_minor(charge.get("amount_captured"), currency) or Decimal(0)
        refunded = from_minor(charge.get("amount_refunded"), currency) or Decimal(0)
        status = GatewayStatus.REFUNDED if refunded >= captured else GatewayStatus.PARTIALLY_REFUNDED
        return GatewayResult(
            status=status,
            reference=reference,
            raw=refund,
            captured_amount=captured,
            refunded_amount=refunded,
            refund_reference=str(refund["id"]),
        )

    def _currency(self, reference: str) -> str:
        intent = self._call("GET", f"v1/payment_intents/{reference}")
        return str(intent["currency"]).upper()

    def find(self, *, idempotency_key: str) -> GatewayResult | None:
        quoted = idempotency_key.replace("\\", "\\\\").replace("'", "\\'")
        answer = self._call(
            "GET", "v1/payment_intents/search", [("query", f"metadata['{KEY_METADATA}']:'{quoted}'")]
        )
        data = answer.get("data") or []
        return self._intent_result(data[0]) if data else None

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        timestamped_signature_verify(
            body=body,
            header=headers.get(SIGNATURE_HEADER) or "",
            secret=self.webhook_secret,
            tolerance=self.signature_tolerance,
            header_label="Stripe-Signature",
        )
        try:
            event = json.loads(body)
            intent = event["data"]["object"]
            failure = intent.get("last_payment_error") or {}
            data = {
                **intent,
                "idempotency_key": (intent.get("metadata") or {}).get(KEY_METADATA, ""),
                "decline_code": failure.get("decline_code") or failure.get("code") or "",
            }
            return WebhookEvent(
                id=str(event["id"]),
                type=WEBHOOK_TYPES.get(event["type"], WebhookType.OTHER),
                reference=str(intent["id"]),
                data=data,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidSignature("The webhook body is not a Stripe event.") from exc

    def hosted_form_url(self, *, session_ref: str, return_url: str) -> str:
        # {CHECKOUT_SESSION_ID} is filled in by Stripe; it must reach Stripe unencoded.
        joiner = "&" if "?" in return_url else "?"
        success = f"{return_url}{joiner}{urlencode({'session': session_ref})}&token={{CHECKOUT_SESSION_ID}}"
        key = "form_" + hashlib.sha256(f"{session_ref}|{return_url}".encode()).hexdigest()
        session = self._call(
            "POST",
            "v1/checkout/sessions",
            [
                ("mode", "setup"),
                ("payment_method_types[]", "card"),
                ("success_url", success),
                ("cancel_url", return_url),
                ("client_reference_id", session_ref[:200]),
            ],
            idempotency_key=key,
        )
        return str(session["url"])
