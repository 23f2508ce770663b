"""Cart pages. Every change is a POST with a CSRF token that works without JavaScript
(then a redirect to the cart with a message); htmx gets the changed fragment and the
header's mini-cart instead. Refused input answers 400 with the message beside the control.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shopstack.checkout import selectors, services
from shopstack.checkout.models import Cart
from shopstack.checkout.web import cart_change_note, remember_session_cart, session_cart
from shopstack.core.errors import DomainError, ValidationFailed


def _private(response: HttpResponse) -> HttpResponse:
    # Per visitor and changing with every click: never stored by browsers or proxies.
    add_never_cache_headers(response)
    return response


def _mini_cart(request: HttpRequest, cart: Cart | None, *, oob: bool) -> str:
    context = {"count": selectors.cart_item_count(cart), "oob": oob}
    return render_to_string("checkout/includes/mini_cart.html", context, request)


def _with_mini_cart(request: HttpRequest, html: str, cart: Cart | None, *, status: int = 200) -> HttpResponse:
    """An htmx answer: the fragment plus the mini-cart, swapped out of band into the header."""
    return _private(HttpResponse(html + _mini_cart(request, cart, oob=True), status=status))


def _as_int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


# The cart page ------------------------------------------------------------------------


@require_GET
def cart_page(request: HttpRequest) -> HttpResponse:
    return _render_cart(request, session_cart(request))


@require_GET
def mini_cart(request: HttpRequest) -> HttpResponse:
    """The header's cart link with the item count, loaded by htmx into cached pages.

    It also gives the visitor a CSRF cookie: the cached pages' htmx forms send it back
    as a header (static/shopstack/csrf.js), having no token of their own."""
    get_token(request)
    return _private(HttpResponse(_mini_cart(request, session_cart(request), oob=False)))


def _render_cart(request: HttpRequest, cart: Cart | None, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {
        "summary": selectors.cart_summary(cart, currency=settings.SHOP_CURRENCY),
        "noindex": True,
        **extra,
    }
    if request.htmx:
        html = render_to_string("checkout/includes/cart_body.html", context, request)
        return _with_mini_cart(request, html, cart, status=status)
    return _private(render(request, "checkout/cart.html", context, status=status))


def _cart_refused(request: HttpRequest, cart: Cart | None, error: DomainError) -> HttpResponse:
    """The cart again, 400, with the message beside the line's quantity (or on top)."""
    variant_id = _as_int(request.POST.get("variant_id", ""))
    messages_for_line = error.fields.get("quantity")
    return _render_cart(
        request,
        cart,
        status=400,
        error_for=variant_id if messages_for_line else None,
        error_text=" ".join(messages_for_line or []),
        error_value=request.POST.get("quantity", "")[:10],
        form_error="" if messages_for_line else error.message,
    )


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    cart = session_cart(request)
    try:
        if cart is None:
            raise DomainError("Your cart is empty.")
        change = services.cart_line_set(
            cart=cart,
            variant_id=request.POST.get("variant_id", ""),
            quantity=request.POST.get("quantity", ""),
        )
    except DomainError as error:
        return _cart_refused(request, cart, error)
    cart_change_note(request, change)
    notice = "Quantity updated." if change.line is not None else "Item removed."
    return _done(request, cart, notice)


@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    cart = session_cart(request)
    try:
        if cart is None:
            raise DomainError("Your cart is empty.")
        change = services.cart_remove(cart=cart, variant_id=request.POST.get("variant_id", ""))
    except DomainError as error:
        return _cart_refused(request, cart, error)
    cart_change_note(request, change)
    return _done(request, cart, "Item removed.")


def _done(request: HttpRequest, cart: Cart | None, notice: str) -> HttpResponse:
    if request.htmx:
        return _render_cart(request, cart, notice=notice)
    messages.success(request, notice)
    return redirect("checkout:cart")


# Adding from a product page -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def cart_add(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _add_confirm(request)
    variant_id = request.POST.get("variant_id", "")
    quantity = request.POST.get("quantity", "")
    try:
        # A new cart is only kept if the line goes in: refused input changes nothing.
        with transaction.atomic():
            cart = session_cart(request, create=True)
            assert cart is not None  # create=True
            line = services.cart_add(cart=cart, variant_id=variant_id, quantity=quantity)
    except DomainError as error:
        return _add_refused(request, error, variant_id=variant_id, quantity=quantity)
    remember_session_cart(request, cart)
    cart_change_note(
        request, services.LineChange(line.variant, line.quantity - int(quantity), line.quantity, line)
    )
    added = f"Added {int(quantity)} \N{MULTIPLICATION SIGN} {line.variant.product.name}"
    if request.htmx:
        return _with_mini_cart(request, _add_form(request, variant_id=line.variant_id, added=added), cart)
    messages.success(request, f"{added} to your cart.")
    return redirect("checkout:cart")


def _add_confirm(request: HttpRequest) -> HttpResponse:
    """The no-JavaScript path from a cached product page: its form asks by GET, and this
    page repeats the choice in a POST form with the visitor's CSRF token. Changes nothing."""
    variant_id = request.GET.get("variant_id", "")
    quantity = request.GET.get("quantity", "1")
    pk = _as_int(variant_id)
    variant = selectors.variant_for_sale(variant_id=pk)
    if variant is None:
        return _add_refused(
            request,
            ValidationFailed("This product is not for sale.", fields={"variant_id": ["Choose a product."]}),
            variant_id=variant_id,
            quantity=quantity,
        )
    context = {
        "product": variant.product,
        "variants": selectors.product_variants(product_id=variant.product_id),
        "selected": pk,
        "quantity": quantity[:10],
        "confirm": True,
        "noindex": True,
    }
    return _private(render(request, "checkout/add.html", context))


def _add_form(request: HttpRequest, *, variant_id: int | None, **extra: Any) -> str:
    variant = selectors.variant_for_sale(variant_id=variant_id)
    context = {
        "product": variant.product if variant else None,
        "variants": selectors.product_variants(product_id=variant.product_id) if variant else [],
        "selected": variant_id,
        "shared": False,
        **extra,
    }
    return render_to_string("checkout/includes/add_form.html", context, request)


def _add_refused(request: HttpRequest, error: DomainError, *, variant_id: str, quantity: str) -> HttpResponse:
    pk = _as_int(variant_id)
    extra = {
        "errors": error.fields,
        "form_error": "" if error.fields else error.message,
        "quantity": quantity[:10],
    }
    if request.htmx:
        return _private(HttpResponse(_add_form(request, variant_id=pk, **extra), status=400))
    variant = selectors.variant_for_sale(variant_id=pk)
    context = {
        "product": variant.product if variant else None,
        "variants": selectors.product_variants(product_id=variant.product_id) if variant else [],
        "selected": pk,
        "message": error.message,
        "noindex": True,
        **extra,
    }
    return _private(render(request, "checkout/add.html", context, status=400))
