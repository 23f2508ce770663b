"""Cart endpoints for the web and mobile apps.

Who owns the cart:

- a signed-in client (`X-Session-Token`, or the web front end's session cookie) uses the
  customer's own cart; a guest `X-Cart-Token` sent along with a change is merged into it;
- an anonymous app sends the `X-Cart-Token` it was given when its cart was created;
- an anonymous browser without that header uses the guest cart of its session.

Requests identified by the session cookie must pass Django's CSRF check to change
anything; header-identified clients need not (a browser cannot send those headers
cross-site without CORS, which the API does not allow). The rules live in
`shopstack.checkout.services`; these functions only pick the cart and shape answers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Header, Router, Schema, Status
from ninja.utils import check_csrf
from pydantic import Field, StrictInt

from shopstack.api.auth import SESSION_TOKEN_HEADER, client_user
from shopstack.api.schemas import ErrorOut
from shopstack.checkout import selectors, services
from shopstack.checkout.models import Cart
from shopstack.checkout.web import CART_TOKEN_HEADER, cart_change_note, remember_session_cart, session_cart
from shopstack.core.errors import DomainError, NotFound, PermissionDenied

router = Router(tags=["cart"])

ERRORS: dict[int, type[ErrorOut]] = {
    400: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    415: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
TOKEN_DESCRIPTION = (
    "The guest cart token this API returned when the cart was created (anonymous apps). "
    "Leave it out when signed in, or to use the browser session's cart."
)
CartToken = Header(None, alias=CART_TOKEN_HEADER, description=TOKEN_DESCRIPTION)


class CartLineOut(Schema):
    variant_id: int
    product_id: int
    product_name: str
    product_slug: str
    variant_name: str
    sku: str
    quantity: int
    unit_price: str = Field(description='Price of one unit now, a decimal as text (e.g. `"2.95"`).')
    line_total: str
    available: int = Field(description="Units that can still be sold.")
    problem: str = Field(description='Why the line cannot be bought now (e.g. out of stock), or "".')


class CartOut(Schema):
    """A cart with prices read from the catalog now. Taxes and shipping come at checkout."""

    token: str | None = Field(
        description=f"The guest cart's token: send it back in `{CART_TOKEN_HEADER}`. "
        "Null for a signed-in customer's cart and for a browser session's cart."
    )
    currency: str
    lines: list[CartLineOut]
    subtotal: str = Field(description="Sum of the lines still on sale, before taxes, shipping and vouchers.")
    item_count: int
    has_problems: bool = Field(description="True if some line is out of stock, short or no longer sold.")
    note: str


class LineIn(Schema):
    variant_id: StrictInt = Field(description="The product variant to add.")
    quantity: StrictInt = Field(description="Units to add to any already in the cart: 1 to 999.")


class QuantityIn(Schema):
    quantity: StrictInt = Field(description="The line's new quantity: 0 (removes it) to 999.")


# Finding the client's cart -----------------------------------------------------------------


def _resolve(
    request: HttpRequest, token: str | None, *, create: bool, write: bool
) -> tuple[Cart | None, bool]:
    """The client's cart (None if it has none yet) and whether a guest token is theirs to see.

    For a write, a session-cookie client must pass the CSRF check first, and a guest
    token sent by a signed-in client is merged into the customer's cart."""
    if token is not None and services.cart_token_unsign(token=token) is None:
        raise DomainError(
            "The cart token is not one this shop issued.",
            code="invalid_cart_token",
            fields={CART_TOKEN_HEADER: ["Not a valid cart token; leave it out to start a new cart."]},
        )
    user = client_user(request)
    by_header = bool(request.headers.get(SESSION_TOKEN_HEADER)) or (user is None and token is not None)
    by_cookie = not by_header and (user is not None or settings.SESSION_COOKIE_NAME in request.COOKIES)
    if write and by_cookie and check_csrf(request) is not None:
        raise PermissionDenied(
            "The CSRF check failed: a browser session must send the X-CSRFToken header.", code="csrf_failed"
        )
    if user is not None:
        if write and token:
            guest = services.cart_for(token=token)
            if guest is not None:
                services.cart_merge(guest_cart=guest, customer=user)
        return services.cart_for(customer=user, create=create), False
    if by_cookie:
        return session_cart(request, create=create), False
    return services.cart_for(token=token, create=create), True


def _answer(
    response: HttpResponse, cart: Cart | None, *, show_token: bool, status: int = 200
) -> Status[dict[str, Any]]:
    summary = selectors.cart_summary(cart, currency=settings.SHOP_CURRENCY)
    token = services.cart_token_sign(cart=cart) if cart is not None and show_token else None
    body = {
        "token": token,
        "currency": summary.currency,
        "lines": [
            {
                "variant_id": line.variant_id,
                "product_id": line.product_id,
                "product_name": line.product_name,
                "product_slug": line.product_slug,
                "variant_name": line.variant_name,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "line_total": str(line.line_total),
                "available": line.available,
                "problem": line.problem,
            }
            for line in summary.lines
        ],
        "subtotal": str(summary.subtotal),
        "item_count": summary.item_count,
        "has_problems": summary.has_problems,
        "note": "Taxes and shipping at checkout.",
    }
    # Per client and changing with every request: never stored by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    response["Vary"] = f"Cookie, {SESSION_TOKEN_HEADER}, {CART_TOKEN_HEADER}"
    if token:
        response[CART_TOKEN_HEADER] = token
    return Status(status, body)


# Endpoints ----------------------------------------------------------------------------------


@router.get(
    "/cart",
    response={200: CartOut, **ERRORS},
    summary="The client's cart",
    operation_id="cart_get",
)
def cart_get(
    request: HttpRequest, response: HttpResponse, token: str | None = CartToken
) -> Status[dict[str, Any]]:
    """The cart of the signed-in customer, of the `X-Cart-Token` guest, or of the browser
    session; an empty cart (with a null `token`) if there is none yet. Never creates one."""
    cart, show_token = _resolve(request, token, create=False, write=False)
    return _answer(response, cart, show_token=show_token)


@router.post(
    "/cart/lines",
    response={201: CartOut, **ERRORS},
    summary="Add units of a variant",
    operation_id="cart_add_line",
)
def cart_add_line(
    request: HttpRequest, response: HttpResponse, payload: LineIn, token: str | None = CartToken
) -> Status[dict[str, Any]]:
    """Add `quantity` units on top of any already in the cart, creating the cart if the
    client has none: an anonymous app then gets its `token` (also in the `X-Cart-Token`
    answer header) to send with every later cart request. 422 with field messages for a
    quantity outside 1..999, a variant not for sale, or more units than are left."""
    with transaction.atomic():
        # A cart created here is kept only if the line goes in: refused input changes nothing.
        cart, show_token = _resolve(request, token, create=True, write=True)
        assert cart is not None  # create=True
        line = services.cart_add(cart=cart, variant_id=payload.variant_id, quantity=payload.quantity)
    if not show_token and cart.customer_id is None:
        remember_session_cart(request, cart)
    added = services.LineChange(line.variant, line.quantity - payload.quantity, line.quantity, line)
    cart_change_note(request, added)
    return _answer(response, cart, show_token=show_token, status=201)


@router.patch(
    "/cart/lines/{variant_id}",
    response={200: CartOut, **ERRORS},
    summary="Change a line's quantity",
    operation_id="cart_set_line",
)
def cart_set_line(
    request: HttpRequest,
    response: HttpResponse,
    variant_id: int,
    payload: QuantityIn,
    token: str | None = CartToken,
) -> Status[dict[str, Any]]:
    """Set the quantity of a line already in the cart; 0 removes it. 404 if the variant is
    not in this client's cart."""
    cart, show_token = _resolve(request, token, create=False, write=True)
    if cart is None:
        raise NotFound("That item is not in your cart.", fields={"variant_id": ["Not in your cart."]})
    change = services.cart_line_set(cart=cart, variant_id=variant_id, quantity=payload.quantity)
    cart_change_note(request, change)
    return _answer(response, cart, show_token=show_token)


@router.delete(
    "/cart/lines/{variant_id}",
    response={200: CartOut, **ERRORS},
    summary="Remove a line",
    operation_id="cart_remove_line",
)
def cart_remove_line(
    request: HttpRequest, response: HttpResponse, variant_id: int, token: str | None = CartToken
) -> Status[dict[str, Any]]:
    """Take the variant out of the cart; 404 if it is not in this client's cart."""
    cart, show_token = _resolve(request, token, create=False, write=True)
    if cart is None:
        raise NotFound("That item is not in your cart.", fields={"variant_id": ["Not in your cart."]})
    cart_change_note(request, services.cart_remove(cart=cart, variant_id=variant_id))
    return _answer(response, cart, show_token=show_token)
