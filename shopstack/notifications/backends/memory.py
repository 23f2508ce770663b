"""A channel that keeps messages in process memory: the zero-service stand-in for channels
whose real engines come later (SMS, WhatsApp, in-app), and a test double for callers."""

from __future__ import annotations

import itertools
import threading
from typing import Any, ClassVar

from shopstack.notifications.backends.base import Channel, DeliveryResult, OutgoingMessage


class MemoryChannel(Channel):
    """Every sent message lands in `MemoryChannel.outbox` (shared by instances, like Django's
    locmem mail backend). OPTIONS: `body_kinds` (default text), `fail_with` (an error to
    report instead of sending, for tests of the callers' retry path)."""

    outbox: ClassVar[list[OutgoingMessage]] = []
    _ids = itertools.count(1)
    _lock = threading.Lock()

    def __init__(
        self, *, body_kinds: tuple[str, ...] | list[str] = ("text",), fail_with: str = "", **options: Any
    ) -> None:
        super().__init__(**options)
        self.body_kinds = tuple(body_kinds)
        self.fail_with = fail_with

    def send(self, message: OutgoingMessage) -> DeliveryResult:
        problem = self.check_message(message)
        if problem:
            return DeliveryResult.failed(problem, retryable=False)
        if self.fail_with:
            return DeliveryResult.failed(self.fail_with)
        with self._lock:
            self.outbox.append(message)
            return DeliveryResult.sent(provider_id=f"memory-{next(self._ids)}")
