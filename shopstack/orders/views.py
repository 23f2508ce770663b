"""The customer's pages for orders: history, one order, and the guest lookup.

Thin: parse, call a selector or service, render. Who may see an order is decided by the
customer selectors (the owner, or a session that proved number + email); anyone else
gets the same 404 whether or not the number exists.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from shopstack.core.clients import client_address
from shopstack.core.errors import NotFound, ValidationFailed
from shopstack.core.forms import RefusesControlCharacters, text_checked_by_form
from shopstack.core.limits import Limit, limit_consume
from shopstack.orders import customer_selectors, services
from shopstack.orders.models import Order

PAGE_SIZE = 20
SESSION_KEY = "orders_granted"
SESSION_MAX_GRANTS = 20
# Lookups per client IP per window: enough for typos, too few to guess numbers with.
LOOKUP_LIMIT = 10
LOOKUP_WINDOW_SECONDS = 15 * 60
# Counted in the shared store, so every web process sees the same count.
LOOKUP_RATE = Limit(name="orders.lookup", count=LOOKUP_LIMIT, seconds=LOOKUP_WINDOW_SECONDS)
LOOKUP_FAILED = "We could not find an order with that number and email address. Check both and try again."


class LookupForm(RefusesControlCharacters, forms.Form):
    number = forms.CharField(label="Order number", max_length=32, strip=True)
    email = forms.EmailField(label="Email address used for the order", max_length=254)


def _render_order(
    request: HttpRequest,
    order: Order,
    *,
    guest: bool,
    return_error: ValidationFailed | None = None,
    status: int = 200,
) -> HttpResponse:
    view = customer_selectors.order_view(order=order)
    context = {
        "order": view,
        "guest": guest,
        "noindex": True,
        "return_error": return_error,
        "return_values": request.POST if return_error else {},
    }
    response = render(request, "orders/detail.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


@never_cache
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(customer_selectors.customer_orders(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    orders = list(page.object_list)
    for order in orders:
        order.status_label = customer_selectors.status_label(order.status)  # type: ignore[attr-defined]
    return render(request, "orders/list.html", {"page": page, "orders": orders, "noindex": True})


def _owned_order(request: HttpRequest, number: str) -> Order:
    """The signed-in customer's own order; 404 for any other number."""
    try:
        return customer_selectors.customer_order(user=request.user, number=number)
    except NotFound as error:
        raise Http404(error.message) from error


def _granted_order(request: HttpRequest, number: str) -> Order:
    """An order this session proved it may see (lookup), or the signed-in owner's; else 404."""
    user = request.user if request.user.is_authenticated else None
    try:
        return customer_selectors.order_for_access(
            number=number, user=user, granted=request.session.get(SESSION_KEY, [])
        )
    except NotFound as error:
        raise Http404(error.message) from error


@never_cache
@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _owned_order(request, number)
    return _render_order(request, order, guest=False)


@never_cache
def guest_order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """An order this session proved it may see (lookup), or the signed-in owner's."""
    order = _granted_order(request, number)
    return _render_order(request, order, guest=True)


@text_checked_by_form
@never_cache
@require_http_methods(["GET", "POST"])
def order_lookup(request: HttpRequest) -> HttpResponse:
    """Number + email -> the order page. One message for a wrong number and a wrong email."""
    status = 200
    if request.method == "POST":
        form = LookupForm(request.POST)
        verdict = limit_consume(LOOKUP_RATE, client_address(request))
        if not verdict.allowed:
            form.is_valid()
            form.add_error(None, "Too many attempts from your connection. Please wait a few minutes.")
            status = 429
        elif form.is_valid():
            order = customer_selectors.order_lookup(
                number=form.cleaned_data["number"], email=form.cleaned_data["email"]
            )
            if order is not None:
                granted = [n for n in request.session.get(SESSION_KEY, []) if n != order.number]
                request.session[SESSION_KEY] = [*granted, order.number][-SESSION_MAX_GRANTS:]
                # A new session key: access is not tied to a session id seen before the proof.
                request.session.cycle_key()
                return redirect("orders:guest_detail", number=order.number)
            form.add_error(None, LOOKUP_FAILED)
            status = 404
        else:
            status = 422
    else:
        form = LookupForm(initial={"number": request.GET.get("number", "")[:32]})
    context: dict[str, Any] = {"form": form, "noindex": True}
    response = render(request, "orders/lookup.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(verdict.retry_after)
    return response


def _return_lines(request: HttpRequest, order: Order) -> list[tuple[int, int]]:
    """The form's `qty_<line id>` fields as [(line id, quantity)] for quantities above zero."""
    lines, problems = [], {}
    for line_id in order.lines.values_list("pk", flat=True):
        raw = request.POST.get(f"qty_{line_id}", "").strip() or "0"
        if not raw.isdigit() or len(raw) > 4:
            problems[f"qty_{line_id}"] = ["Enter a whole number of units, 0 or more."]
        elif int(raw) > 0:
            lines.append((line_id, int(raw)))
    if problems:
        raise ValidationFailed("Some quantities are not valid.", fields=problems)
    if not lines:
        raise ValidationFailed("Choose at least one item to return.", fields={"lines": ["Choose an item."]})
    return lines


def _request_return(request: HttpRequest, order: Order, *, guest: bool) -> HttpResponse:
    try:
        rma = services.return_request(
            order=order,
            lines=_return_lines(request, order),
            reason=request.POST.get("reason", "")[:500],
            actor_id=request.user.pk if request.user.is_authenticated else None,
        )
    except ValidationFailed as error:
        return _render_order(request, order, guest=guest, return_error=error, status=422)
    messages.success(request, f"Return {rma.number} requested. We will email you when it is approved.")
    target = "orders:guest_detail" if guest else "orders:detail"
    return redirect(target, number=order.number)


@login_required
@require_POST
def return_create(request: HttpRequest, number: str) -> HttpResponse:
    """The signed-in owner asks to send back shipped units."""
    order = _owned_order(request, number)
    return _request_return(request, order, guest=False)


@require_POST
def guest_return_create(request: HttpRequest, number: str) -> HttpResponse:
    """The same for a session that proved number + email through the lookup."""
    order = _granted_order(request, number)
    return _request_return(request, order, guest=True)
