"""What every payment gateway must do for the shop.

Settings name one backend: PAYMENT_GATEWAY = {"BACKEND": dotted.path, "OPTIONS": {...}}.
Every call that can move money carries an idempotency key; the gateway must answer a
repeat with the first answer and never act twice. Card numbers never reach a backend:
`token` is what the gateway's hosted form made of the card.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


class GatewayStatus:
    """The statuses a GatewayResult may carry, whatever words the provider uses."""

    AUTHORIZED = "authorized"
    ACTION_REQUIRED = "action_required"
    DECLINED = "declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    FAILED = "failed"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


class WebhookType:
    """The event types verify_webhook() reports (providers' own types are mapped onto these)."""

    AUTHORIZED = "payment.authorized"
    FAILED = "payment.failed"
    OTHER = "payment.other"


@dataclass(frozen=True)
class GatewayResult:
    """A provider's answer in the shop's words. `raw` is the provider's own JSON (kept in
    the transaction record); the amounts, when the answer carries them, are Decimals in
    the currency's units whatever unit the provider counts in."""

    status: str
    reference: str
    action_url: str = ""
    decline_code: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    captured_amount: Decimal | None = None
    refunded_amount: Decimal | None = None
    refund_reference: str = ""  # the refund a refund() made (a repeat names the same one)


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    reference: str
    data: dict[str, Any] = field(default_factory=dict)


class GatewayError(Exception):
    """The gateway refused or could not be asked.

    `outcome_unknown` is true when the request may have had its effect (it was sent and
    the answer was lost or was a server error): ask again with the same idempotency key.
    `code` is the provider's machine-readable reason when it gave one.
    """

    outcome_unknown = False

    def __init__(
        self,
        message: str,
        *,
        code: str = "gateway_error",
        http_status: int | None = None,
        outcome_unknown: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.http_status = message, code, http_status
        if outcome_unknown is not None:
            self.outcome_unknown = outcome_unknown


# Answers that say the gateway would not look at the request at all (our credentials or
# our rate, not the shopper's card): nothing happened, so the call is tried again later.
NOT_PROCESSED_STATUSES = frozenset({401, 403, 408, 429})


def refused_unprocessed(error: GatewayError) -> bool:
    """Whether the gateway turned the request away without acting on it: never sent, or
    refused for our credentials or rate. Such a refusal is retried, never a decline."""
    if error.outcome_unknown:
        return False
    return error.http_status is None or error.http_status in NOT_PROCESSED_STATUSES


class GatewayTimeout(GatewayError):
    """No answer in time: the gateway may or may not have acted."""

    outcome_unknown = True


class InvalidSignature(Exception):
    """A webhook whose signature is missing, wrong or too old."""


class PaymentGateway:
    """A payment provider, reached over the network. Subclasses set `name` (used in URLs)."""

    name = "base"
    # Seconds the client waits for an answer (recorded with every request sent).
    timeout: float = 10.0
    # Seconds after a request lands before find() is sure to see what it made (a provider
    # whose lookup is a search index lags behind its writes).
    lookup_delay: float = 0.0

    def authorize(
        self, *, amount: Decimal, currency: str, token: str, idempotency_key: str, return_url: str
    ) -> GatewayResult:
        """Reserve `amount` on the card. AUTHORIZED, ACTION_REQUIRED (with action_url),
        DECLINED or INSUFFICIENT_FUNDS."""
        raise NotImplementedError("PaymentGateway subclasses must implement authorize()")

    def capture(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        """Take up to the authorized amount (partial captures release the rest)."""
        raise NotImplementedError("PaymentGateway subclasses must implement capture()")

    def void(self, *, reference: str, idempotency_key: str) -> GatewayResult:
        """Release an authorization that was not captured."""
        raise NotImplementedError("PaymentGateway subclasses must implement void()")

    def refund(self, *, reference: str, amount: Decimal, idempotency_key: str) -> GatewayResult:
        """Give back part or all of what was captured; the result carries the charge's new status."""
        raise NotImplementedError("PaymentGateway subclasses must implement refund()")

    def find(self, *, idempotency_key: str) -> GatewayResult | None:
        """The charge an authorize() with this key made, in its current state, or None."""
        raise NotImplementedError("PaymentGateway subclasses must implement find()")

    def verify_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event in a webhook request, or InvalidSignature."""
        raise NotImplementedError("PaymentGateway subclasses must implement verify_webhook()")

    def hosted_form_url(self, *, session_ref: str, return_url: str) -> str:
        """Where to send the customer to enter a card; the gateway redirects back to
        `return_url` with `token` (and `session`) in the query string."""
        raise NotImplementedError("PaymentGateway subclasses must implement hosted_form_url()")
