"""Staff must use two-factor authentication before they reach the back office.

The admin's own login view is replaced by allauth's (see accounts/admin.py), so a staff
member with a TOTP authenticator is asked for a code at every login. This middleware covers
the other case: a signed-in staff member who has not set TOTP up yet is sent to set it up,
whatever admin page they ask for.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


def has_totp(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._admin_prefix: str | None = None

    def admin_prefix(self) -> str:
        # Resolved on first use (URLconf is not ready at startup); follows where admin is mounted.
        if self._admin_prefix is None:
            self._admin_prefix = reverse("admin:index")
        return self._admin_prefix

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.path includes any SCRIPT_NAME, as reverse() does.
        if request.path.startswith(self.admin_prefix()):
            user = request.user
            if user.is_authenticated and user.is_staff and not has_totp(user):
                messages.warning(
                    request, "Staff accounts need two-factor authentication. Set it up to continue."
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)
