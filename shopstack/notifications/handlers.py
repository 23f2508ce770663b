"""Reactions to domain events: order and return events become messages to the customer.

The handler writes the log rows (in the outbox dispatch's transaction) and queues one
send task per new row. It is given the function that queues the task (see apps.py)
rather than importing the tasks module: entry points stay independent of each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shopstack.core.events import Event
from shopstack.notifications.rendering import EVENT_MESSAGES
from shopstack.notifications.services import notification_queue

EVENT_NAMES: tuple[str, ...] = tuple(EVENT_MESSAGES)


@dataclass(frozen=True)
class NotifyCustomer:
    """Outbox handler for the events of EVENT_NAMES. Equal instances are one subscription."""

    schedule: Callable[[int], None]

    def __call__(self, event: Event) -> None:
        for log in notification_queue(event=event):
            self.schedule(log.pk)
