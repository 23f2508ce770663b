"""Checkout pages: contact and address -> shipping method -> card (the gateway's hosted
form) -> review -> place -> the order's payment status.

Every change is a POST with a CSRF token and works without JavaScript. Refused input
answers 400 with the message beside its control and changes nothing. A checkout is
only ever found for its owner (the signed-in customer, or the guest whose session holds
the cart it came from): anyone else gets 404. Prices shown are the server's; the forms
carry ids and text only, and any other field posted is ignored.

(These are the checkout's views; the cart's are in views.py.)
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shopstack.accounts.services import ADDRESS_FIELDS
from shopstack.analytics.schema import Kind
from shopstack.analytics.web import action_record, page_about
from shopstack.checkout import selectors, services
from shopstack.checkout.models import Checkout
from shopstack.checkout.web import CART_SESSION_KEY, order_placed_note, remember_session_cart, session_cart
from shopstack.core.clients import client_address
from shopstack.core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from shopstack.orders.models import Order
from shopstack.payments.models import Payment

PLACE_KEYS_SESSION = "checkout.place_keys"  # {checkout token: idempotency key}
# The order pages' list of orders this session may see (guests): placing grants its order.
ORDERS_GRANTED_SESSION = "orders_granted"
MAX_GRANTS = 20
IN_PROGRESS = {"", "pending", "unknown"}


def _private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _owned(request: HttpRequest, token: object) -> Checkout:
    """The caller's checkout behind `token`, or 404."""
    try:
        if request.user.is_authenticated:
            return selectors.checkout_for(token=token, customer_id=request.user.pk)
        signed = request.session.get(CART_SESSION_KEY)
        cart_uuid = services.cart_token_unsign(token=signed) if signed else None
        return selectors.checkout_for(token=token, cart_uuid=cart_uuid)
    except NotFound:
        raise Http404("No such checkout.") from None


def _open(request: HttpRequest, token: object) -> Checkout | HttpResponse:
    """The caller's open checkout, or a redirect to what comes next for a closed one."""
    checkout = _owned(request, token)
    if checkout.status == Checkout.Status.PLACED and checkout.order_number:
        return redirect("checkout_steps:order", number=checkout.order_number)
    if checkout.status != Checkout.Status.OPEN:
        messages.info(request, "That checkout has closed; start again from your cart.")
        return redirect("checkout:cart")
    return checkout


def _render(
    request: HttpRequest, template: str, checkout: Checkout, status: int = 200, **extra: Any
) -> HttpResponse:
    summary = services.checkout_summary(checkout=checkout)
    step = template.rsplit("/", 1)[-1].removesuffix(".html")
    page_about(request, Kind.CHECKOUT_STEP, checkout_step=step)
    context = {"checkout": checkout, "summary": summary, "step": step, "noindex": True, **extra}
    return _private(render(request, template, context, status=status))


def _refused(error: DomainError) -> int:
    if isinstance(error, NotFound | RateLimited):
        return error.status
    return 400


# Starting --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def checkout_begin(request: HttpRequest) -> HttpResponse:
    """GET resumes the checkout under way (or offers to start one); POST starts it,
    reserving the cart's stock."""
    cart = session_cart(request)
    if request.method == "GET":
        existing = selectors.checkout_open_for_cart(cart=cart)
        owner_id = request.user.pk if request.user.is_authenticated else None
        if existing is not None and existing.customer_id == owner_id:
            # Coming back to a checkout under way is reaching checkout in this visit.
            action_record(request, Kind.CHECKOUT_STEP, checkout_step="begin")
            return redirect("checkout_steps:address", token=existing.token)
        summary = selectors.cart_summary(cart)
        # Not a step yet: the page offers to start; "begin" is recorded when the shopper does.
        return _private(render(request, "checkout/steps/begin.html", {"summary": summary, "noindex": True}))
    customer = request.user if request.user.is_authenticated else None
    try:
        if cart is None:
            raise ValidationFailed("Your cart is empty.", fields={"cart": ["Your cart is empty."]})
        checkout = services.checkout_start(cart=cart, customer=customer)  # type: ignore[arg-type]
    except DomainError as error:
        context = {"summary": selectors.cart_summary(cart), "error": error, "noindex": True}
        return _private(render(request, "checkout/steps/begin.html", context, status=400))
    # The cart's button posts here directly: this, not a page, is where checkout begins.
    action_record(request, Kind.CHECKOUT_STEP, checkout_step="begin")
    return redirect("checkout_steps:address", token=checkout.token)


# Contact and address -------------------------------------------------------------------------------


def _address_from(post: Any, prefix: str) -> dict[str, str]:
    return {name: post.get(f"{prefix}-{name}", "") for name in ADDRESS_FIELDS}


# label, autocomplete token, required
ADDRESS_CONTROLS: dict[str, tuple[str, str, bool]] = {
    "full_name": ("Full name", "name", True),
    "company": ("Company (optional)", "organization", False),
    "line1": ("Address line 1", "address-line1", True),
    "line2": ("Address line 2 (optional)", "address-line2", False),
    "city": ("Town or city", "address-level2", True),
    "region": ("County, state or region (optional)", "address-level1", False),
    "postal_code": ("Postcode", "postal-code", True),
    "country": ("Country code (e.g. GB)", "country", True),
    "phone": ("Phone (optional)", "tel", False),
}


def _address_rows(prefix: str, values: dict[str, str], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    """One row per control, with its value and the message beside it (templates cannot
    look up the "shipping.city" error keys themselves)."""
    rows = []
    for name, (label, autocomplete, required) in ADDRESS_CONTROLS.items():
        rows.append(
            {
                "id": f"{prefix}-{name}",
                "label": label,
                "value": str(values.get(name, ""))[:128],
                "autocomplete": f"{prefix} {autocomplete}",
                "required": required,
                "error": " ".join(errors.get(f"{prefix}.{name}", [])),
                "maxlength": 2 if name == "country" else 128,
            }
        )
    return rows


def _address_page(
    request: HttpRequest,
    checkout: Checkout,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    status: int,
) -> HttpResponse:
    return _render(
        request,
        "checkout/steps/address.html",
        checkout,
        status=status,
        email=values["email"],
        email_error=" ".join(errors.get("email", [])),
        shipping_rows=_address_rows("shipping", values["shipping"], errors),
        billing_rows=_address_rows("billing", values["billing"], errors),
        billing_same=values["billing_same"],
        form_error="Please correct the fields marked below." if errors else "",
    )


@require_http_methods(["GET", "POST"])
def checkout_address(request: HttpRequest, token: str) -> HttpResponse:
    checkout = _open(request, token)
    if isinstance(checkout, HttpResponse):
        return checkout
    if request.method == "GET":
        values = {
            "email": checkout.email,
            "shipping": checkout.shipping_address or {},
            "billing": checkout.billing_address or {},
            "billing_same": not checkout.billing_address,
        }
        return _address_page(request, checkout, values, {}, 200)
    shipping = _address_from(request.POST, "shipping")
    billing_same = request.POST.get("billing_same") == "on"
    billing = None if billing_same else _address_from(request.POST, "billing")
    email = request.POST.get("email", "")
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        # Both steps or neither: a refused address must not keep a new email, and back.
        if checkout.customer_id is None:
            try:
                services.checkout_set_contact(checkout=checkout, email=email)
            except ValidationFailed as error:
                errors.update(error.fields)
        try:
            services.checkout_set_address(checkout=checkout, shipping=shipping, billing=billing)
        except ValidationFailed as error:
            errors.update(error.fields)
        if errors:
            transaction.set_rollback(True)
    if errors:
        checkout.refresh_from_db()
        values = {
            "email": email[:254],
            "shipping": shipping,
            "billing": billing or {},
            "billing_same": billing_same,
        }
        return _address_page(request, checkout, values, errors, 400)
    return redirect("checkout_steps:shipping", token=checkout.token)


# Shipping ---------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def checkout_shipping(request: HttpRequest, token: str) -> HttpResponse:
    checkout = _open(request, token)
    if isinstance(checkout, HttpResponse):
        return checkout
    if not (checkout.shipping_address or {}).get("country"):
        return redirect("checkout_steps:address", token=checkout.token)
    if request.method == "GET":
        return _render(request, "checkout/steps/shipping.html", checkout)
    try:
        services.checkout_set_shipping(checkout=checkout, method_id=request.POST.get("method_id", ""))
    except DomainError as error:
        return _render(request, "checkout/steps/shipping.html", checkout, status=_refused(error), error=error)
    return redirect("checkout_steps:payment", token=checkout.token)


# Payment ----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def checkout_payment(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the button; POST: off to the gateway's hosted card form."""
    checkout = _open(request, token)
    if isinstance(checkout, HttpResponse):
        return checkout
    if request.method == "GET":
        return _render(request, "checkout/steps/payment.html", checkout)
    return_url = request.build_absolute_uri(reverse("checkout_steps:payment-return"))
    try:
        url = services.checkout_payment_url(
            checkout=checkout, return_url=return_url, shop_origin=request.build_absolute_uri("/")
        )
    except DomainError as error:
        return _render(request, "checkout/steps/payment.html", checkout, status=_refused(error), error=error)
    return _private(HttpResponseRedirect(url, status=303))


@require_GET
def checkout_payment_return(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the shopper back: `session` is the checkout token, `token`
    the card token (`last4` and `brand` are for display). No card number ever comes here."""
    checkout = _open(request, request.GET.get("session", ""))
    if isinstance(checkout, HttpResponse):
        return checkout
    try:
        services.checkout_set_payment_token(
            checkout=checkout,
            token=request.GET.get("token", ""),
            last4=request.GET.get("last4", ""),
            brand=request.GET.get("brand", ""),
        )
    except DomainError as error:
        return _render(request, "checkout/steps/payment.html", checkout, status=_refused(error), error=error)
    return redirect("checkout_steps:review", token=checkout.token)


# Review, voucher, place -----------------------------------------------------------------------------


def _place_key(request: HttpRequest, checkout: Checkout) -> str:
    """The idempotency key of this checkout's place form, kept in the session: every
    render, refresh and double click of the form sends the same one."""
    keys = dict(request.session.get(PLACE_KEYS_SESSION, {}))
    key = keys.get(str(checkout.token))
    if not key:
        key = secrets.token_urlsafe(24)
        keys = {**dict(list(keys.items())[-9:]), str(checkout.token): key}
        request.session[PLACE_KEYS_SESSION] = keys
    return key


def _review(request: HttpRequest, checkout: Checkout, *, status: int = 200, **extra: Any) -> HttpResponse:
    return _render(
        request,
        "checkout/steps/review.html",
        checkout,
        status=status,
        place_key=_place_key(request, checkout),
        **extra,
    )


@require_GET
def checkout_review(request: HttpRequest, token: str) -> HttpResponse:
    checkout = _open(request, token)
    if isinstance(checkout, HttpResponse):
        return checkout
    return _review(request, checkout)


@require_POST
def checkout_voucher(request: HttpRequest, token: str) -> HttpResponse:
    checkout = _open(request, token)
    if isinstance(checkout, HttpResponse):
        return checkout
    try:
        if request.POST.get("action") == "remove":
            services.checkout_remove_voucher(checkout=checkout)
        else:
            services.checkout_set_voucher(
                checkout=checkout, code=request.POST.get("code", ""), client=client_address(request)
            )
    except DomainError as error:
        response = _review(
            request,
            checkout,
            status=_refused(error),
            voucher_error=error,
            voucher_value=request.POST.get("code", "")[:64],
        )
        if isinstance(error, RateLimited):
            response["Retry-After"] = str(error.retry_after)
        return response
    messages.success(
        request, "Voucher removed." if request.POST.get("action") == "remove" else "Voucher applied."
    )
    return redirect("checkout_steps:review", token=checkout.token)


def _grant(request: HttpRequest, number: str) -> None:
    granted = [n for n in request.session.get(ORDERS_GRANTED_SESSION, []) if n != number]
    request.session[ORDERS_GRANTED_SESSION] = [*granted, number][-MAX_GRANTS:]


@require_POST
def checkout_place(request: HttpRequest, token: str) -> HttpResponse:
    """Place the order with the form's idempotency key: a double click or a refreshed POST
    sends the same key and lands on the same order."""
    checkout = _owned(request, token)
    key = request.POST.get("idempotency_key", "")
    return_url = request.build_absolute_uri(reverse("checkout_steps:payment-done", args=[checkout.token]))
    try:
        placement = services.checkout_placement(
            checkout=checkout,
            payment_token=checkout.payment_token,
            idempotency_key=key,
            payment_return_url=return_url,
        )
    except DomainError as error:
        checkout.refresh_from_db()
        if checkout.status == Checkout.Status.PLACED:
            return redirect("checkout_steps:order", number=checkout.order_number)
        if checkout.status != Checkout.Status.OPEN:
            raise Http404("No such checkout.") from None
        return _review(request, checkout, status=_refused(error), place_error=error)
    _grant(request, placement.order.number)
    if placement.created:
        order_placed_note(request, placement.order)
    return redirect("checkout_steps:order", number=placement.order.number)


@require_GET
def checkout_payment_done(request: HttpRequest, token: str) -> HttpResponse:
    """Where the gateway's challenge page sends the shopper back: the order's status."""
    checkout = _owned(request, token)
    if not checkout.order_number:
        return redirect("checkout_steps:review", token=checkout.token)
    return redirect("checkout_steps:order", number=checkout.order_number)


# The order's status while the payment is settled --------------------------------------------------------


def _buyer_order(request: HttpRequest, number: str) -> Order:
    order = Order.objects.filter(number=number, kind=Order.Kind.ORDER).first()
    if order is None:
        raise Http404("No such order.")
    if request.user.is_authenticated and order.customer_id == request.user.pk:
        return order
    if order.customer_id is None and number in request.session.get(ORDERS_GRANTED_SESSION, []):
        return order
    raise Http404("No such order.")


def _status_context(order: Order) -> dict[str, Any]:
    payment = Payment.objects.filter(ref=order.payment_ref).first() if order.payment_ref else None
    state = order.payment_status
    if order.status == Order.Status.CANCELLED and state not in {"failed"}:
        phase = "cancelled"
    elif state == "failed":
        phase = "failed"
    elif state == "action_required":
        phase = "action_required"
    elif state in IN_PROGRESS:
        phase = "pending"
    else:
        phase = "confirmed"
    return {
        "order": order,
        "phase": phase,
        "polling": phase in {"pending", "action_required"},
        "action_url": payment.action_url if payment is not None and phase == "action_required" else "",
        "noindex": True,
    }


@require_GET
def order_status(request: HttpRequest, number: str) -> HttpResponse:
    """The order just placed, for its buyer only, while its payment is settled: polled by
    htmx (and refreshed by a meta tag without JavaScript) until it is confirmed, needs the
    shopper at their bank, or failed."""
    order = _buyer_order(request, number)
    context = _status_context(order)
    if request.htmx:
        return _private(render(request, "checkout/steps/includes/order_status.html", context))
    return _private(render(request, "checkout/steps/order.html", context))


@require_POST
def order_retry(request: HttpRequest, number: str) -> HttpResponse:
    """After a failed payment: a new checkout with the same items and details, straight to
    the card step."""
    order = _buyer_order(request, number)
    placed = Checkout.objects.filter(order_number=order.number, status=Checkout.Status.PLACED).first()
    if placed is None:
        raise Http404("No checkout for this order.")
    customer = request.user if request.user.is_authenticated else None
    try:
        checkout, cart = services.checkout_restart(checkout=placed, customer=customer)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("checkout:cart")
    if customer is None:
        remember_session_cart(request, cart)
    return redirect("checkout_steps:payment", token=checkout.token)
