"""Staff must use two-factor authentication before they reach the back office.

The admin's own login view is replaced by allauth's (see accounts/admin.py), so a staff
member with a TOTP authenticator is asked for a code at every login. This middleware covers
the other case: a signed-in staff member who has not set TOTP up yet. A password alone must
not be enough to add an authenticator to a staff account (whoever stole the password would
add their own), so such a member is sent to ask for an emailed enrolment link, and the TOTP
setup (page or headless API) answers only in the session that opened that link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from shopstack.accounts.services import STAFF_ENROLMENT_SESSION_LIFETIME, staff_needs_enrolment

_GRANT_KEY = "shopstack.staff_enrolment"


def enrolment_grant(session: Any, *, user_id: int, now: datetime) -> None:
    """Let this session (and no other) set up TOTP for the user for a while."""
    until = now + STAFF_ENROLMENT_SESSION_LIFETIME
    session[_GRANT_KEY] = {"user": user_id, "until": until.timestamp()}


def enrolment_granted(session: Any, *, user_id: int, now: datetime) -> bool:
    grant = session.get(_GRANT_KEY) if session is not None else None
    if not grant:
        return False
    return bool(grant.get("user") == user_id and now.timestamp() < float(grant.get("until", 0)))


def _headless_session_and_user(request: HttpRequest) -> tuple[Any, Any]:
    # The "app" client of allauth's headless API authenticates by X-Session-Token inside
    # its views, so request.user is anonymous here: look the token's session up the same way.
    if request.user.is_authenticated:
        return request.session, request.user
    token = request.headers.get("X-Session-Token")
    if not token:
        return None, None
    from allauth.headless.tokens.strategies.sessions import SessionTokenStrategy
    from django.contrib.auth import SESSION_KEY, get_user_model

    session = SessionTokenStrategy().lookup_session(token)
    user_id = session.get(SESSION_KEY) if session is not None else None
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return session, user


class StaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._paths: tuple[str, str, frozenset[str]] | None = None

    def paths(self) -> tuple[str, str, frozenset[str]]:
        # Resolved on first use (URLconf is not ready at startup); follows where each is mounted.
        if self._paths is None:
            self._paths = (
                reverse("admin:index"),
                reverse("mfa_activate_totp"),
                frozenset(reverse(f"headless:{client}:mfa:manage_totp") for client in ("app", "browser")),
            )
        return self._paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.path includes any SCRIPT_NAME, as reverse() does.
        admin_prefix, activate_path, headless_paths = self.paths()
        path = request.path
        if path.startswith(admin_prefix) or path == activate_path:
            user = request.user
            if staff_needs_enrolment(user=user):
                if enrolment_granted(request.session, user_id=getattr(user, "pk", 0), now=timezone.now()):
                    if path != activate_path:
                        return redirect("mfa_activate_totp")
                else:
                    messages.warning(
                        request, "Staff accounts need two-factor authentication. Set it up to continue."
                    )
                    return redirect("accounts:staff_enrolment")
        elif path.rstrip("/") in headless_paths and request.method not in ("GET", "HEAD", "OPTIONS"):
            session, user = _headless_session_and_user(request)
            if staff_needs_enrolment(user=user) and not enrolment_granted(
                session, user_id=getattr(user, "pk", 0), now=timezone.now()
            ):
                return JsonResponse(
                    {
                        "status": 403,
                        "errors": [
                            {
                                "code": "staff_enrolment_link_required",
                                "message": "Staff accounts set up two-factor authentication through the "
                                "link emailed from the back office sign-in.",
                            }
                        ],
                    },
                    status=403,
                )
        return self.get_response(request)
