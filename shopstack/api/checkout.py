"""Checkout endpoints for mobile and web apps: the same steps as the storefront's pages.

Whose checkout: a signed-in client's own (`X-Session-Token` or the session cookie), or a
guest's, proven by the `X-Cart-Token` of the cart it was started from (or, for a browser,
the guest cart in its session). Any other token is 404, whether it exists or not.

Nothing here takes a price, total or discount from the client: the summary is priced on
the server for every answer, and placing builds the order from the server's numbers.
The rules live in `shopstack.checkout.services`; these functions pick the checkout and
shape answers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Header, Router, Schema, Status
from ninja.utils import check_csrf
from pydantic import Field

from shopstack.analytics.schema import Kind
from shopstack.analytics.web import action_record
from shopstack.api.auth import SESSION_TOKEN_HEADER, client_user
from shopstack.api.schemas import ErrorOut
from shopstack.checkout import selectors, services
from shopstack.checkout.models import Cart, Checkout
from shopstack.checkout.web import CART_SESSION_KEY, CART_TOKEN_HEADER, order_placed_note, session_cart
from shopstack.core.clients import client_address
from shopstack.core.errors import DomainError, PermissionDenied, ValidationFailed

router = Router(tags=["checkout"])

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
IDEMPOTENCY_HEADER = "Idempotency-Key"
CartToken = Header(
    None,
    alias=CART_TOKEN_HEADER,
    description="A guest's cart token (from the cart endpoints). Leave it out when signed in.",
)
IdempotencyKey = Header(
    None,
    alias=IDEMPOTENCY_HEADER,
    description="Required: a new random key per order. A repeat with the same key returns the same order.",
)


# Schemas -----------------------------------------------------------------------------------------


class AddressIn(Schema):
    full_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = Field("", description="ISO 3166-1 alpha-2, e.g. `GB`.")
    phone: str = ""


class ContactIn(Schema):
    email: str


class AddressesIn(Schema):
    shipping: AddressIn
    billing: AddressIn | None = Field(
        None, description="Leave out (or null) when it is the shipping address."
    )


class ShippingMethodIn(Schema):
    method_id: int


class VoucherIn(Schema):
    code: str


class PlaceIn(Schema):
    payment_token: str = Field(description="The token the gateway's hosted card form returned.")


class PaymentSessionIn(Schema):
    return_url: str | None = Field(
        None,
        description=(
            "Where the gateway sends the shopper back (with `token`): a URL on the shop's own site "
            "(PAYMENT_RETURN_ORIGINS) or an app link whose scheme is in PAYMENT_RETURN_SCHEMES "
            "(e.g. `myapp://checkout/paid`); anything else is refused with 422 on `return_url`. "
            "Default: the shop's page."
        ),
    )


class LineOut(Schema):
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: str
    subtotal: str
    problem: str


class ShippingOptionOut(Schema):
    method_id: int
    code: str
    name: str
    price: str
    free: bool
    min_days: int
    max_days: int


class TotalsOut(Schema):
    currency: str
    subtotal: str
    discount: str
    shipping: str = Field(description="After a free-shipping voucher.")
    tax: str = Field(description="Included in the total when prices include tax.")
    total: str
    prices_include_tax: bool


class CheckoutOut(Schema):
    token: str = Field(description="The checkout's id in every other checkout URL.")
    status: str = Field(description="open, placed or abandoned.")
    email: str
    shipping_address: dict[str, str]
    billing_address: dict[str, str] = Field(description="Empty when it is the shipping address.")
    shipping_method_id: int | None
    voucher_code: str
    has_payment_token: bool
    card_last4: str
    lines: list[LineOut]
    shipping_options: list[ShippingOptionOut]
    totals: TotalsOut | None = Field(description="Null when nothing in the cart can be priced.")
    problems: dict[str, list[str]] = Field(description="What must change before the order can be placed.")
    ready: bool = Field(description="Every step is done and nothing stands in the way (card token aside).")
    reserved_until: str | None
    order_number: str


class PaymentSessionOut(Schema):
    url: str = Field(description="Send the shopper here to enter the card; never collect card numbers.")


class PlacedOut(Schema):
    number: str
    status: str
    payment_status: str
    total: str
    currency: str


# Finding the caller's checkout -------------------------------------------------------------------


def _caller(request: HttpRequest, cart_token: str | None, *, write: bool) -> tuple[Any | None, str | None]:
    """(the signed-in user or None, the guest cart token to go by). A session-cookie
    client must pass the CSRF check to change anything."""
    user = client_user(request)
    by_header = bool(request.headers.get(SESSION_TOKEN_HEADER)) or (user is None and cart_token is not None)
    by_cookie = not by_header and (user is not None or settings.SESSION_COOKIE_NAME in request.COOKIES)
    if write and by_cookie and check_csrf(request) is not None:
        raise PermissionDenied(
            "The CSRF check failed: a browser session must send the X-CSRFToken header.", code="csrf_failed"
        )
    if user is not None:
        return user, None
    if by_cookie and cart_token is None:
        return None, request.session.get(CART_SESSION_KEY)
    return None, cart_token


def _checkout(request: HttpRequest, token: str, cart_token: str | None, *, write: bool) -> Checkout:
    user, guest_token = _caller(request, cart_token, write=write)
    cart_uuid = services.cart_token_unsign(token=guest_token) if guest_token else None
    return selectors.checkout_for(
        token=token, customer_id=user.pk if user is not None else None, cart_uuid=cart_uuid
    )


def _body(checkout: Checkout, lines: list[Any] | None = None) -> dict[str, Any]:
    summary = services.checkout_summary(checkout=checkout, lines=lines)
    priced = summary.priced
    totals = None
    if priced is not None:
        totals = {
            "currency": priced.currency,
            "subtotal": str(priced.subtotal),
            "discount": str(priced.discount),
            "shipping": str(priced.shipping - priced.shipping_discount),
            "tax": str(priced.tax),
            "total": str(priced.total),
            "prices_include_tax": priced.prices_include_tax,
        }
    return {
        "token": str(checkout.token),
        "status": checkout.status,
        "email": checkout.email,
        "shipping_address": checkout.shipping_address or {},
        "billing_address": checkout.billing_address or {},
        "shipping_method_id": checkout.shipping_method_id,
        "voucher_code": checkout.voucher_code,
        "has_payment_token": bool(checkout.payment_token),
        "card_last4": checkout.payment_last4,
        "lines": [
            {
                "variant_id": line.variant_id,
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                "subtotal": str(line.subtotal),
                "problem": line.problem,
            }
            for line in summary.lines
        ],
        "shipping_options": [
            {
                "method_id": quote.method_id,
                "code": quote.code,
                "name": quote.name,
                "price": str(quote.price),
                "free": quote.free,
                "min_days": quote.min_days,
                "max_days": quote.max_days,
            }
            for quote in summary.shipping_options
        ],
        "totals": totals,
        "problems": summary.problems if checkout.status == Checkout.Status.OPEN else {},
        "ready": summary.ready and checkout.status == Checkout.Status.OPEN,
        "reserved_until": checkout.reserved_until.isoformat() if checkout.reserved_until else None,
        "order_number": checkout.order_number,
    }


def _answer(
    response: HttpResponse, checkout: Checkout, *, status: int = 200, lines: list[Any] | None = None
) -> Status[dict[str, Any]]:
    """The checkout's body; `lines` from `checkout_lines` if this request read them already."""
    response["Cache-Control"] = "no-store"
    response["Vary"] = f"Cookie, {SESSION_TOKEN_HEADER}, {CART_TOKEN_HEADER}"
    return Status(status, _body(checkout, lines))


def _step(request: HttpRequest, step: str) -> None:
    """The checkout step this call completes a part of, as the storefront's pages name it."""
    action_record(request, Kind.CHECKOUT_STEP, checkout_step=step)


# Endpoints ----------------------------------------------------------------------------------------


@router.post(
    "/checkout",
    response={201: CheckoutOut, **ERRORS},
    summary="Start checking out the caller's cart",
    operation_id="checkout_start",
)
def checkout_start(
    request: HttpRequest, response: HttpResponse, cart_token: str | None = CartToken
) -> Status[dict[str, Any]]:
    """Start (or resume) the checkout of the caller's cart and reserve its stock for a
    while (`reserved_until`). 422 for an empty cart, 409 when an item is short or off sale."""
    user, guest_token = _caller(request, cart_token, write=True)
    cart: Cart | None
    if user is not None:
        cart = services.cart_for(customer=user)
    elif guest_token is not None:
        if services.cart_token_unsign(token=guest_token) is None:
            raise ValidationFailed(
                "The cart token is not one this shop issued.",
                code="invalid_cart_token",
                fields={CART_TOKEN_HEADER: ["Not a valid cart token."]},
            )
        cart = services.cart_for(token=guest_token)
    else:
        cart = session_cart(request)
    if cart is None:
        raise ValidationFailed(
            "Your cart is empty.", code="cart_empty", fields={"cart": ["Your cart is empty."]}
        )
    checkout, lines = services.checkout_start_reading_lines(cart=cart, customer=user)
    _step(request, "begin")
    return _answer(response, checkout, status=201, lines=lines)


@router.get(
    "/checkout/{token}",
    response={200: CheckoutOut, **ERRORS},
    summary="The checkout, priced now, with its shipping options",
    operation_id="checkout_get",
)
def checkout_get(
    request: HttpRequest, response: HttpResponse, token: str, cart_token: str | None = CartToken
) -> Status[dict[str, Any]]:
    """Lines, shipping options for the address, totals with tax, and what still stands
    in the way (`problems`, e.g. an item sold out since the checkout began)."""
    return _answer(response, _checkout(request, token, cart_token, write=False))


@router.api_operation(
    ["PUT", "PATCH"],
    "/checkout/{token}/contact",
    response={200: CheckoutOut, **ERRORS},
    summary="Set the guest's email",
    operation_id="checkout_set_contact",
)
def checkout_contact(
    request: HttpRequest,
    response: HttpResponse,
    token: str,
    payload: ContactIn,
    cart_token: str | None = CartToken,
) -> Status[dict[str, Any]]:
    """A signed-in customer's checkout keeps the account email (another one is a 422)."""
    checkout = _checkout(request, token, cart_token, write=True)
    services.checkout_set_contact(checkout=checkout, email=payload.email)
    _step(request, "address")
    return _answer(response, checkout)


@router.api_operation(
    ["PUT", "PATCH"],
    "/checkout/{token}/address",
    response={200: CheckoutOut, **ERRORS},
    summary="Set the shipping (and billing) address",
    operation_id="checkout_set_address",
)
def checkout_address(
    request: HttpRequest,
    response: HttpResponse,
    token: str,
    payload: AddressesIn,
    cart_token: str | None = CartToken,
) -> Status[dict[str, Any]]:
    """422 with fields like `shipping.postal_code` for a missing field or a country that
    is not an ISO code; a chosen shipping method that does not reach the new address is dropped."""
    checkout = _checkout(request, token, cart_token, write=True)
    services.checkout_set_address(
        checkout=checkout,
        shipping=payload.shipping.model_dump(),
        billing=payload.billing.model_dump() if payload.billing is not None else None,
    )
    _step(request, "address")
    return _answer(response, checkout)


@router.api_operation(
    ["PUT", "PATCH"],
    "/checkout/{token}/shipping-method",
    response={200: CheckoutOut, **ERRORS},
    summary="Choose a shipping method",
    operation_id="checkout_set_shipping_method",
)
def checkout_shipping_method(
    request: HttpRequest,
    response: HttpResponse,
    token: str,
    payload: ShippingMethodIn,
    cart_token: str | None = CartToken,
) -> Status[dict[str, Any]]:
    """One of `shipping_options`; 422 (field `shipping_method`) for any other."""
    checkout = _checkout(request, token, cart_token, write=True)
    lines = services.checkout_lines(checkout=checkout)
    services.checkout_set_shipping(checkout=checkout, method_id=payload.method_id, lines=lines)
    _step(request, "shipping")
    return _answer(response, checkout, lines=lines)


@router.api_operation(
    ["PUT", "PATCH"],
    "/checkout/{token}/voucher",
    response={200: CheckoutOut, **ERRORS},
    summary="Apply a voucher code",
    operation_id="checkout_set_voucher",
)
def checkout_voucher(
    request: HttpRequest,
    response: HttpResponse,
    token: str,
    payload: VoucherIn,
    cart_token: str | None = CartToken,
) -> Status[dict[str, Any]]:
    """422 (field `voucher`, with a code per reason: voucher_unknown, voucher_expired,
    voucher_used_up, voucher_min_spend, ...) when it cannot be used."""
    checkout = _checkout(request, token, cart_token, write=True)
    services.checkout_set_voucher(checkout=checkout, code=payload.code, client=client_address(request))
    return _answer(response, checkout)


@router.delete(
    "/checkout/{token}/voucher",
    response={200: CheckoutOut, **ERRORS},
    summary="Remove the voucher",
    operation_id="checkout_remove_voucher",
)
def checkout_voucher_remove(
    request: HttpRequest, response: HttpResponse, token: str, cart_token: str | None = CartToken
) -> Status[dict[str, Any]]:
    """Take the voucher off; the totals are priced again without it."""
    checkout = _checkout(request, token, cart_token, write=True)
    services.checkout_remove_voucher(checkout=checkout)
    return _answer(response, checkout)


@router.post(
    "/checkout/{token}/payment-session",
    response={200: PaymentSessionOut, **ERRORS},
    summary="Where to enter the card",
    operation_id="checkout_payment_session",
)
def checkout_payment_session(
    request: HttpRequest,
    response: HttpResponse,
    token: str,
    payload: PaymentSessionIn | None = None,
    cart_token: str | None = CartToken,
) -> dict[str, str]:
    """The gateway's hosted card form. It sends the shopper back to `return_url` with a
    `token` to pass to `place`; card numbers never reach the shop."""
    checkout = _checkout(request, token, cart_token, write=True)
    return_url = payload.return_url if payload is not None and payload.return_url else ""
    return_url = return_url or request.build_absolute_uri(reverse("checkout_steps:payment-return"))
    url = services.checkout_payment_url(
        checkout=checkout, return_url=return_url, shop_origin=request.build_absolute_uri("/")
    )
    _step(request, "payment")
    response["Cache-Control"] = "no-store"
    return {"url": url}


@router.post(
    "/checkout/{token}/place",
    response={200: PlacedOut, 201: PlacedOut, **ERRORS},
    summary="Place the order",
    operation_id="checkout_place",
)
def checkout_place(
    request: HttpRequest,
    response: HttpResponse,
    token: str,
    payload: PlaceIn,
    idempotency_key: str | None = IdempotencyKey,
    cart_token: str | None = CartToken,
) -> Status[dict[str, Any]]:
    """201 with the new order; its payment is authorized by the workflow right after
    (poll the order for `payment_status`). A repeat with the same `Idempotency-Key`
    returns the same order with 200. 422 without the header; 409 when the key was used
    for a different order, the checkout was placed with another key, or stock ran out."""
    if not idempotency_key:
        raise ValidationFailed(
            f"The {IDEMPOTENCY_HEADER} header is required.",
            code="idempotency_key_missing",
            fields={IDEMPOTENCY_HEADER: ["Send a new random key (e.g. a UUID) with every new order."]},
        )
    checkout = _checkout(request, token, cart_token, write=True)
    return_url = request.build_absolute_uri(reverse("checkout_steps:payment-done", args=[checkout.token]))
    try:
        placement = services.checkout_placement(
            checkout=checkout,
            payment_token=payload.payment_token,
            idempotency_key=idempotency_key,
            source="api",
            payment_return_url=return_url,
        )
    except DomainError as error:
        if IDEMPOTENCY_HEADER not in error.fields and "idempotency_key" in error.fields:
            error.fields = {
                IDEMPOTENCY_HEADER if name == "idempotency_key" else name: messages
                for name, messages in error.fields.items()
            }
        raise
    order = placement.order
    if placement.created:
        order_placed_note(request, order)
    response["Cache-Control"] = "no-store"
    body = {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "total": str(order.total_amount),
        "currency": order.currency,
    }
    return Status(201 if placement.created else 200, body)
