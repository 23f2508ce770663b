"""Staff must use two-factor authentication before they reach the back office."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def has_totp(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/"):
            user = request.user
            if user.is_authenticated and user.is_staff and not has_totp(user):
                messages.warning(
                    request, "Staff accounts need two-factor authentication. Set it up to continue."
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)
