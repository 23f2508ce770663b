"""Who is calling: an allauth headless session token (mobile apps) or the Django session
(the web front end). Catalog endpoints are public; identity only picks the throttle
bucket. `/me` requires it; back-office endpoints (/analytics) require a staff member with
a permission (`staff_with`)."""

from __future__ import annotations

from typing import Any

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader

from shopstack.accounts.services import staff_needs_enrolment
from shopstack.core.errors import PermissionDenied

SESSION_TOKEN_HEADER = "X-Session-Token"
_UNSET = object()


def _session_token_user(request: HttpRequest) -> Any | None:
    # allauth looks the token up as a session key through HEADLESS_TOKEN_STRATEGY
    # (SessionTokenStrategy.lookup_session) and returns that session's user.
    return XSessionTokenAuth()(request)


def client_user(request: HttpRequest) -> Any | None:
    """The signed-in user behind the request, or None. Looked up once per request.

    The Django session is only consulted when its cookie is present, so anonymous
    requests cost nothing and their responses do not `Vary: Cookie`."""
    found = getattr(request, "_api_client_user", _UNSET)
    if found is not _UNSET:
        return found
    user = None
    if request.headers.get(SESSION_TOKEN_HEADER):
        user = _session_token_user(request)
    elif settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
        user = request.user
    request._api_client_user = user  # type: ignore[attr-defined]
    return user


def identify_client(request: HttpRequest) -> None:
    """Set `request.auth` the way ninja's throttles expect: the user, or None if anonymous."""
    if getattr(request, "auth", None) is None:
        request.auth = client_user(request)  # type: ignore[attr-defined]


def staff_permission_check(user: Any, permission: str) -> None:
    """Raise PermissionDenied (403) unless `user` is active staff holding `permission`
    (superusers hold every one) and has two-factor authentication set up: the back office
    refuses staff without it (accounts/middleware.py), and so does any API answering what
    only the back office shows."""
    if not (user.is_active and user.is_staff and user.has_perm(permission)):
        raise PermissionDenied(f"Only staff with the {permission} permission may use this endpoint.")
    if staff_needs_enrolment(user=user):
        raise PermissionDenied(
            "Staff accounts need two-factor authentication: set it up through the back office first.",
            code="staff_two_factor_required",
        )


class SessionTokenAuth(APIKeyHeader):
    """An allauth headless session token in `X-Session-Token` (app clients). With a
    `permission`, a signed-in user without it is refused (403) rather than let through."""

    param_name = SESSION_TOKEN_HEADER

    def __init__(self, permission: str | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = client_user(request) if key else None
        if user is not None and self.permission:
            staff_permission_check(user, self.permission)
        return user


class DjangoSessionAuth(APIKeyCookie):
    """The Django session cookie of the web front end and the admin (CSRF is checked for
    unsafe methods). With a `permission`, as SessionTokenAuth."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, permission: str | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        user = client_user(request) if key else None
        if user is not None and self.permission:
            staff_permission_check(user, self.permission)
        return user


signed_in = [SessionTokenAuth(), DjangoSessionAuth()]


def staff_with(permission: str) -> list[APIKeyHeader | APIKeyCookie]:
    """Auth for back-office endpoints: 401 without a signed-in user (session token or
    session cookie), 403 for one who is not active staff with `permission` and two-factor
    authentication (staff_permission_check)."""
    return [SessionTokenAuth(permission), DjangoSessionAuth(permission)]
