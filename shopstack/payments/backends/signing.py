"""Webhook signatures of the form `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>`.

Stripe signs its webhooks this way, and the built-in test gateway copies the scheme, so
both backends check a signature with this one function.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from shopstack.payments.backends.base import InvalidSignature


def timestamped_signature_verify(
    *, body: bytes, header: str, secret: str, tolerance: float, header_label: str = "signature"
) -> None:
    """Raise InvalidSignature unless `header` signs `body` with `secret`, at most
    `tolerance` seconds from now (an old event replayed later is refused). Several `v1`
    values may be given (secrets being rolled): one matching is enough."""
    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]
    stamps = [value.strip() for name, value in parts if name.strip() == "t"]
    signatures = [value.strip() for name, value in parts if name.strip() == "v1"]
    if not secret or len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        raise InvalidSignature(f"The webhook has no valid {header_label} header.")
    stamp = int(stamps[0])
    if abs(time.time() - stamp) > tolerance:
        raise InvalidSignature("The webhook's signature is too old.")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise InvalidSignature("The webhook's signature does not match.")
