"""Who is calling: an allauth headless session token (mobile apps) or the Django session
(the web front end). Catalog endpoints are public; identity only picks the throttle
bucket. `/me` requires it."""

from __future__ import annotations

from typing import Any

from allauth.headless.contrib.ninja.security import XSessionTokenAuth
from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, APIKeyHeader

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


class SessionTokenAuth(APIKeyHeader):
    """An allauth headless session token in `X-Session-Token` (app clients)."""

    param_name = SESSION_TOKEN_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        return client_user(request) if key else None


class DjangoSessionAuth(APIKeyCookie):
    """The Django session cookie of the web front end (CSRF is checked for unsafe methods)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any | None:
        return client_user(request) if key else None


signed_in = [SessionTokenAuth(), DjangoSessionAuth()]
