"""Idempotency keys: a repeated request gets the first answer, never a second effect."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.models import IdempotencyRecord

MAX_KEY_LENGTH = 128


def fingerprint(value: Any) -> str:
    """A stable digest of what a request means (its ids and quantities), not of its bytes."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_call(
    *, scope: str, key: str, request: Any, perform: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], bool]:
    """Run `perform` once per (scope, key); returns (result, first_time).

    `perform` runs in the same transaction as the record of its result, so either both
    are committed or neither is: a crash in between leaves the key free for a retry.
    The same key with a different `request` raises Conflict.
    """
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            "The idempotency key is missing or not valid.",
            fields={"idempotency_key": [f"Send 1 to {MAX_KEY_LENGTH} printable characters."]},
        )
    digest = fingerprint(request)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, fingerprint=digest)
            result = perform()
            record.result = result
            record.save(update_fields=["result"])
            return result, True
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if existing is None:
            raise
    if existing.fingerprint != digest:
        raise Conflict(
            "This idempotency key was already used for a different request.",
            code="idempotency_key_reused",
            fields={"idempotency_key": ["Use a new key for a new request."]},
        )
    return existing.result or {}, False
