"""The customer's own account pages: profile and address book. Thin: parse, call a service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from shopstack.accounts import services
from shopstack.accounts.forms import COUNTRY_CHOICES, AddressForm, ProfileForm
from shopstack.accounts.models import Address
from shopstack.core.errors import ValidationFailed
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
