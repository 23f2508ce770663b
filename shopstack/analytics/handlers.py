"""Reactions: the order's domain events (outbox) and the framework's sign-up and login
signals (allauth's own flows, for browsers and apps alike)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from shopstack.analytics.order_events import order_event_record
from shopstack.analytics.schema import Kind
from shopstack.analytics.visitors import customer_identity, identity_note
from shopstack.analytics.web import action_record
from shopstack.core.events import Event


def on_order_event(event: Event) -> None:
    order_event_record(event)


def on_signed_up(sender: object, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    if request is not None and user is not None:
        identity_note(request, customer_identity(user))
        action_record(request, Kind.SIGNUP)


def on_logged_in(sender: object, request: HttpRequest | None = None, user: Any = None, **kwargs: Any) -> None:
    if request is None or user is None:
        return
    # Who it is rides on the visit (for visitors counted with consent only), not on the event.
    identity_note(request, customer_identity(user))
    action_record(request, Kind.LOGIN)
