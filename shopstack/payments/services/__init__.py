"""Payments: authorize, capture, void, refund, reconcile and gateway webhooks.

Every gateway call takes the same three steps (see `calls`), so that no retry, crash or
timeout can charge twice. Gateway calls block for up to the gateway timeout: call these
from tasks (the workflow worker), not from web requests, except where the customer waits
for the answer.

One module per concern; this package is the import path the rest of the shop uses:

- calls: the three steps, keys, events, and how long a sent request may still land
- authorization: create, authorize, settle an authorization's outcome, the hosted form
- reconciliation: ask the gateway about an authorization with no known outcome
- late: void a charge that landed after its payment was failed or voided
- capture: capture or void an authorization
- refunds: refunds of captured money
- webhooks: signed gateway events
- return_urls: where a payment may send the shopper back (with a card token)
"""

from shopstack.payments.services.authorization import (
    payment_authorize,
    payment_create,
    payment_hosted_form_url,
)
from shopstack.payments.services.calls import (
    DEFAULT_RECONCILE_MARGIN_SECONDS,
    FAILED_RESULTS,
    NOT_CHARGED,
    UNSETTLED,
    payment_gateway,
    payment_in_flight_until,
)
from shopstack.payments.services.capture import payment_capture, payment_void
from shopstack.payments.services.late import payment_void_late
from shopstack.payments.services.reconciliation import payment_reconcile
from shopstack.payments.services.refunds import payment_refund
from shopstack.payments.services.return_urls import (
    payment_return_origin,
    payment_return_schemes,
    payment_return_url_check,
)
from shopstack.payments.services.webhooks import payment_handle_webhook

__all__ = [
    "DEFAULT_RECONCILE_MARGIN_SECONDS",
    "FAILED_RESULTS",
    "NOT_CHARGED",
    "UNSETTLED",
    "payment_authorize",
    "payment_capture",
    "payment_create",
    "payment_gateway",
    "payment_handle_webhook",
    "payment_hosted_form_url",
    "payment_in_flight_until",
    "payment_reconcile",
    "payment_refund",
    "payment_return_origin",
    "payment_return_schemes",
    "payment_return_url_check",
    "payment_void",
    "payment_void_late",
]
