"""What every notification channel must do for the notification tasks.

Settings name one backend per channel, the way Django names mailers:

    NOTIFICATION_CHANNELS = {
        "email": {"BACKEND": "shopstack.notifications.backends.email.EmailChannel",
                  "OPTIONS": {"mailer": "default"}},
    }

A message says who gets it and carries its bodies by kind ("text", "html", later "sms",
"whatsapp", "in_app"); each channel takes the kinds it understands and ignores the rest,
so SMS or in-app channels can be added without changing the base or the callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for one recipient, rendered and ready to go.

    `reference` is stable for a message (e.g. the notification log id): a channel that can
    deduplicate at its provider sends it as the provider's idempotency key or message id."""

    recipient: str
    subject: str
    bodies: dict[str, str]
    reference: str = ""
    sender: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)

    def body(self, kind: str) -> str:
        return self.bodies.get(kind, "")


@dataclass(frozen=True)
class DeliveryResult:
    """What the channel's provider said. `ok` false with `retryable` true: try again later;
    `ok` false and not retryable: the message can never be delivered as it is."""

    ok: bool
    provider_id: str = ""
    error: str = ""
    retryable: bool = True

    @classmethod
    def sent(cls, provider_id: str = "") -> DeliveryResult:
        return cls(ok=True, provider_id=provider_id)

    @classmethod
    def failed(cls, error: str, *, retryable: bool = True) -> DeliveryResult:
        return cls(ok=False, error=error[:2000], retryable=retryable)


class Channel:
    """A way to reach a person. `send` never raises for a delivery problem: it reports it
    in the DeliveryResult, so the caller can record the outcome and retry."""

    #: The body kinds this channel sends, in order of preference; a message must have one.
    body_kinds: tuple[str, ...] = ()

    def __init__(self, **options: Any) -> None:
        self.options = options

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        raise NotImplementedError("Channel subclasses must implement send()")

    def check_message(self, message: OutgoingMessage) -> str:
        """Why the message cannot go through this channel at all, or "" (for subclasses)."""
        if not message.recipient.strip():
            return "The message has no recipient."
        if self.body_kinds and not any(message.body(kind).strip() for kind in self.body_kinds):
            return f"The message has none of the bodies this channel sends: {', '.join(self.body_kinds)}."
        return ""
