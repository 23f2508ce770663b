"""What views tell analytics about a request; the middleware turns it into events.

A view says what its page is about (`page_about`: a product, a category, a search) or
what the visitor just did (`action_record`: added to the cart, placed an order). Nothing
is written here: the middleware, which knows the visitor, the session and the answer,
records the declarations once the response is ready, and only if the request counts
(a page answered 200 or 304; an action answered below 400). So a view stays one call
away from analytics, and a refused request records nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from shopstack.analytics.schema import Kind
from shopstack.analytics.values import to_minor

_DECLARED = "_analytics_declared"
# URL arguments that are secrets or capabilities.
SECRET_ARGUMENTS = frozenset({"token", "key", "uidb36", "uidb64"})
PATH_LIMIT = 500


@dataclass(slots=True)
class Declared:
    kind: str
    fields: dict[str, Any]
    page: bool  # about the page: recorded when the request is answered as a page
    active: bool = True  # the visitor did something (slides the session); the beacon does not
    event_id: str | None = None


def declared_of(request: HttpRequest) -> list[Declared] | None:
    return request.__dict__.get(_DECLARED)


def _declare(request: HttpRequest, item: Declared) -> None:
    held = request.__dict__.get(_DECLARED)
    if held is None:
        request.__dict__[_DECLARED] = [item]
    else:
        held.append(item)


def page_about(request: HttpRequest, kind: Kind, **fields: Any) -> None:
    """This page is about something: e.g. `page_about(request, Kind.PRODUCT_VIEW,
    product_id=pk)`. Recorded beside the page view if the page is answered (200 or 304)."""
    _declare(request, Declared(str(kind), fields, page=True))


def action_record(
    request: HttpRequest, kind: Kind, *, event_id: str | None = None, active: bool = True, **fields: Any
) -> None:
    """The visitor did something: recorded if the request is answered below 400. Give an
    `event_id` (values.derived_event_id) when the same action may be sent again."""
    _declare(request, Declared(str(kind), fields, page=False, active=active, event_id=event_id))


def stored_path(path: str, arguments: dict[str, Any]) -> str:
    """A page's path as analytics keeps it: without the URL's secrets (a password reset
    key, a checkout's token), which the warehouse, an open export, must never hold."""
    if arguments and not SECRET_ARGUMENTS.isdisjoint(arguments):
        for name in SECRET_ARGUMENTS.intersection(arguments):
            path = path.replace(str(arguments[name]), f"<{name}>")
    return path[:PATH_LIMIT]


def cart_change_record(
    request: HttpRequest,
    *,
    product_id: int,
    variant_id: int,
    change: int,
    unit_price: Decimal | None = None,
    currency: str = "",
) -> None:
    """Units of a variant added to (change > 0) or taken from (< 0) the visitor's cart; the
    value is at the variant's list price, when given."""
    if change == 0:
        return
    quantity = abs(change)
    value = None if unit_price is None or not currency else to_minor(unit_price * quantity, currency)
    action_record(
        request,
        Kind.CART_ADD if change > 0 else Kind.CART_REMOVE,
        product_id=product_id,
        variant_id=variant_id,
        quantity=quantity,
        value_minor=value,
        currency=currency if value is not None else "",
    )
