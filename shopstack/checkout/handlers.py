"""Reactions to framework events. Only authentication: domain flow uses services and events."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from shopstack.checkout import services
from shopstack.checkout.web import CART_SESSION_KEY, CART_TOKEN_HEADER
from shopstack.core.errors import DomainError

logger = logging.getLogger(__name__)


def merge_guest_cart_on_login(sender: object, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On any login (allauth pages, headless apps, admin), move the guest cart the visitor
    had into the customer's cart: from the session (browsers) or the `X-Cart-Token`
    header (an app that sends it with its login call)."""
    if request is None:
        return
    session = getattr(request, "session", None)
    tokens = [
        session.pop(CART_SESSION_KEY, None) if session is not None else None,
        request.headers.get(CART_TOKEN_HEADER),
    ]
    for token in filter(None, tokens):
        guest = services.cart_for(token=token)
        if guest is None:
            continue
        try:
            services.cart_merge(guest_cart=guest, customer=user)
        except DomainError:
            # A cart closed by a concurrent request: the login itself must still succeed.
            logger.warning("guest cart %s could not be merged at login", guest.pk, exc_info=True)
