"""The customer's own account pages: profile and address book; a staff member's two-factor
enrolment link. Thin: parse, call a service."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shopstack.accounts import services
from shopstack.accounts.forms import COUNTRY_CHOICES, AddressForm, ProfileForm
from shopstack.accounts.middleware import enrolment_grant
from shopstack.accounts.models import Address, User
from shopstack.core.errors import PermissionDenied, ValidationFailed
from shopstack.core.forms import text_checked_by_form


def _own_address(request: HttpRequest, address_id: int) -> Address:
    # Another customer's address is "not found", never "forbidden": ids reveal nothing.
    return get_object_or_404(Address, pk=address_id, user=request.user)


@text_checked_by_form
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationFailed as error:
            form.apply_errors(error)
        else:
            messages.success(request, "Your details are saved.")
            return redirect("accounts:profile")
    status = 400 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


@login_required
def address_list(request: HttpRequest) -> HttpResponse:
    addresses = Address.objects.filter(user=request.user)
    return render(request, "accounts/address_list.html", {"addresses": addresses})


@text_checked_by_form
@login_required
@require_http_methods(["GET", "POST"])
def address_create(request: HttpRequest) -> HttpResponse:
    form = AddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.address_create(user=request.user, data=form.cleaned_data)  # type: ignore[arg-type]
        except ValidationFailed as error:
            form.apply_errors(error)
        else:
            messages.success(request, "Address added.")
            return redirect("accounts:address_list")
    return _address_form(request, form, address=None)


@text_checked_by_form
@login_required
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, address_id: int) -> HttpResponse:
    address = _own_address(request, address_id)
    # Bound to a copy so that a refused edit leaves the object shown in the page untouched.
    form = AddressForm(request.POST or None, instance=Address.objects.get(pk=address.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.address_update(address=address, data=form.cleaned_data)
        except ValidationFailed as error:
            form.apply_errors(error)
        else:
            messages.success(request, "Address saved.")
            return redirect("accounts:address_list")
    return _address_form(request, form, address=address)


def _address_form(request: HttpRequest, form: AddressForm, *, address: Address | None) -> HttpResponse:
    context = {"form": form, "address": address, "country_codes": COUNTRY_CHOICES}
    return render(request, "accounts/address_form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def address_delete(request: HttpRequest, address_id: int) -> HttpResponse:
    services.address_delete(address=_own_address(request, address_id))
    messages.success(request, "Address deleted.")
    return redirect("accounts:address_list")


@login_required
@require_POST
def address_set_default(request: HttpRequest, address_id: int, kind: str) -> HttpResponse:
    if kind not in ("shipping", "billing"):
        raise Http404
    services.address_set_default(address=_own_address(request, address_id), kind=kind)  # type: ignore[arg-type]
    messages.success(request, f"Default {kind} address changed.")
    return redirect("accounts:address_list")


def _enrolment_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    minutes = int(services.STAFF_ENROLMENT_LINK_LIFETIME.total_seconds() // 60)
    return render(
        request, "accounts/staff_enrolment.html", {"error": error, "minutes": minutes}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_enrolment(request: HttpRequest) -> HttpResponse:
    """Where a staff member without two-factor asks for the emailed link that enrols it."""
    user = cast(User, request.user)
    if not services.staff_needs_enrolment(user=user):
        return redirect("admin:index" if user.is_staff else "accounts:profile")
    if request.method == "POST":
        services.staff_enrolment_issue(user=user, now=timezone.now())
        # The same words either way: a second press within the minute sends nothing new.
        messages.success(request, f"We have emailed a link to {user.email}. Open it in this browser.")
        return redirect("accounts:staff_enrolment")
    return _enrolment_page(request)


@login_required
@require_GET
def staff_enrolment_open(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: spends it and lets this session, only, set up TOTP.

    Signed-out visitors (and mail scanners that follow links) are sent to sign in first;
    the link is spent only by its own staff member's signed-in session."""
    user = cast(User, request.user)
    if not services.staff_needs_enrolment(user=user):
        return redirect("admin:index" if user.is_staff else "accounts:profile")
    now = timezone.now()
    try:
        services.staff_enrolment_redeem(user=user, token=token, now=now)
    except PermissionDenied as error:
        return _enrolment_page(request, error=error.message, status=error.status)
    enrolment_grant(request.session, user_id=user.pk, now=now)
    return redirect("mfa_activate_totp")
