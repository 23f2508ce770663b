"""The client for the built-in test gateway (shopstack.payments.testgateway), over real HTTP.

Written the way a client for a real provider would be: a bearer secret key, an
Idempotency-Key header on every call that moves money, a timeout on every call, and
webhooks checked against an HMAC-SHA256 signature over "timestamp." + body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode, urljoin

from shopstack.payments.backends.base import (
    GatewayError,
    GatewayResult,
    GatewayTimeout,
    InvalidSignature,
    PaymentGateway,
    WebhookEvent,
    WebhookType,
)
from shopstack.payments.backends.signing import timestamped_signature_verify

SIGNATURE_HEADER = "Shopstack-Test-Signature"
WEBHOOK_TYPES = {"charge.authorized": WebhookType.AUTHORIZED, "charge.failed": WebhookType.FAILED}


class LocalTestGateway(PaymentGateway):
    name = "testgateway"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        webhook_secret: str,
        webhook_url: str = "",
        timeout: float = 10.0,
        signature_tolerance: int = 300,
    ) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.webhook_url = webhook_url
        self.timeout = float(timeout)
        self.signature_tolerance = signature_tolerance

    # --- HTTP -----------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, *, body: dict[str, Any] | None = None, idempotency_key: str = ""
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(
            urljoin(self.base_url, path), data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise self._http_error(exc) from None
        except TimeoutError as exc:
            raise GatewayTimeout(f"The payment gateway did not answer within {self.timeout:g} s.") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise GatewayTimeout(
                    f"The payment gateway did not answer within {self.timeout:g} s."
                ) from exc
            # Refused before anything was sent: nothing can have happened.
            sent = not isinstance(exc.reason, ConnectionRefusedError)
            raise GatewayError(
                f"The payment gateway could not be reached: {exc.reason}",
                code="unreachable",
                outcome_unknown=sent,
            ) from exc
        except (OSError, ValueError) as exc:  # connection reset mid-answer, garbled body
            raise GatewayError(f"The payment gateway's answer was lost: {exc}", outcome_unknown=True) from exc

    @staticmethod
    def _http_error(exc: urllib.error.HTTPError) -> GatewayError:
        try:
            error = json.loads(exc.read() or b"{}").get("error", {})
        except ValueError:
            error = {}
        return GatewayError(
            error.get("message") or f"The payment gateway answered HTTP {exc.code}.",
            code=error.get("code") or "gateway_error",
            http_status=exc.code,
            outcome_unknown=exc.code >= 500,
        )

    @staticmethod
    def _result(charge: dict[str, Any]) -> GatewayResult:
        def amount(name: str) -> Decimal | None:
            return Decimal(charge[name]) if charge.get(name) is not None else None

        return GatewayResult(
            status=charge["status"],
            reference=charge["id"],
            action_url=charge.get("action_url") or "",
            decline_code=charge.get("decline_code") or "",
            raw=charge,
            captured_amount=amount("captured_amount"),
            refunded_amount=amount("refunded_amount"),
        )

    # --- PaymentGateway -------------------------------------------------------------------

    def authorize(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str, return_url: str
    ) -> GatewayResult:
        body = {
            "amount": str(amount),
            "currency": currency,
            "token": token,
            "return_url": return_url,
            "webhook_url": self.webhook_url,
        }
        return self._result(self._call("POST", "charges", body=body, idempotency_key=idempotency_key))

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        answer = self._call(
            "POST",
            f"charges/{reference}/capture",
            body={"amount": str(amount)},
            idempotency_key=idempotency_key,
        )
        return self._result(answer)

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        return self._result(
            self._call("POST", f"charges/{reference}/void", body={}, idempotency_key=idempotency_key)
        )

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        answer = self._call(
            "POST",
            f"charges/{reference}/refunds",
            body={"amount": str(amount)},
            idempotency_key=idempotency_key,
        )
        charge = self._result(answer["charge"])
        return replace(charge, raw=answer, refund_reference=str(answer["id"]))

    def find(self, *, idempotency_key: str) -> GatewayResult | None:
        answer = self._call("GET", "charges?" + urlencode({"idempotency_key": idempotency_key}))
        data = answer.get("data") or []
        return self._result(data[0]) if data else None

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        timestamped_signature_verify(
            body=body,
            header=headers.get(SIGNATURE_HEADER) or "",
            secret=self.webhook_secret,
            tolerance=self.signature_tolerance,
        )
        try:
            event = json.loads(body)
            data = event["data"]
            return WebhookEvent(
                id=str(event["id"]),
                type=WEBHOOK_TYPES.get(event["type"], WebhookType.OTHER),
                reference=str(data["id"]),
                data=data,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidSignature("The webhook body is not an event.") from exc

    def hosted_form_url(self, *, session_ref: str, return_url: str) -> str:
        signature = hmac.new(
            self.api_key.encode(), f"{session_ref}|{return_url}".encode(), hashlib.sha256
        ).hexdigest()
        query = urlencode({"return_url": return_url, "sig": signature})
        return urljoin(self.base_url, f"pay/{quote(session_ref, safe='')}?{query}")
