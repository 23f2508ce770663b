"""Server-side collection: every storefront page view, and what views declared (web.py).

Works after the response is ready, so it sees how the request was answered, and costs
the request only what it records: a page view is a few dict lookups, one cookie read and
write, and a hand-over to the buffer (services.events_add), which never waits on a store.
Nothing here queries the database. Anything that goes wrong is logged and the page is
answered as it was: analytics never breaks the shop.

A page view is a GET answered 200 with HTML (or 304) outside the back office, the API and
the other machine paths, and not an htmx fragment (those are parts of a page already
counted; what they declare is still recorded). API requests record only what their
views declare, as channel "app" unless a browser sent them with its session cookie.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from secrets import token_hex
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from shopstack.analytics import consent as consent_rules
from shopstack.analytics.config import collect_settings
from shopstack.analytics.consent import Consent, consent_of
from shopstack.analytics.devices import BOT, client_kind, cookieless_rate
from shopstack.analytics.schema import AnalyticsEvent, Channel, Kind
from shopstack.analytics.services import events_add
from shopstack.analytics.sessions import campaign_key
from shopstack.analytics.visitors import (
    SESSION_COOKIE,
    VISITOR_COOKIE,
    anonymous_visitor_id,
    session_cookie_write,
    session_identity_refresh,
    visit_cookies_forget,
    visit_cookies_write,
    visit_resolve,
)
from shopstack.analytics.web import PATH_LIMIT, Declared, declared_of, stored_path
from shopstack.core.clients import client_address

logger = logging.getLogger(__name__)

# Machine paths: never page views (the API and the sign-in API may still declare actions).
NOT_PAGES = ("/admin/", "/api/", "/_allauth/", "/_testgateway/", "/payments/", "/a/")
# Where apps (not the storefront's pages) call the shop.
APP_PATHS = ("/api/", "/_allauth/app/")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
TEXT_LIMIT = 200


def clock() -> datetime:
    return datetime.now(UTC)


class AnalyticsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.not_pages = tuple({*NOT_PAGES, settings.STATIC_URL, settings.MEDIA_URL} - {"", "/"})

    def __call__(self, request: HttpRequest) -> HttpResponse:
        config = collect_settings()
        if not config.tracking:
            return self.get_response(request)
        banner = config.consent_banner and not request.path.startswith(self.not_pages)
        if banner and consent_of(request) is Consent.UNDECIDED:
            consent_rules.conditional_headers_for_undecided(request)
        response = self.get_response(request)
        try:
            self.after(request, response, banner=banner)
        except Exception:
            logger.exception("analytics: could not record %s %s", request.method, request.path)
        return response

    def after(self, request: HttpRequest, response: HttpResponse, *, banner: bool) -> None:
        if request.method == "HEAD":
            return  # link checkers and monitors: no visitor reads a HEAD answer
        status = response.status_code
        answered_page = request.method == "GET" and (status == 200 or status == 304)
        page_view = answered_page and self._is_page_view(request, response)
        declared = declared_of(request)
        items = (
            [item for item in declared if (answered_page if item.page else status < 400)] if declared else ()
        )
        if banner and answered_page:
            if consent_of(request) is Consent.UNDECIDED:
                consent_rules.mark_undecided_answer(response)
            elif status == 200 and _is_html(response):
                consent_rules.banner_remove(response)
        if not page_view and not items:
            self._identity_refresh(request, response)
            return
        self._record(request, response, items, page_view=page_view)

    def _is_page_view(self, request: HttpRequest, response: HttpResponse) -> bool:
        meta = request.META
        if "HTTP_HX_REQUEST" in meta and "HTTP_HX_HISTORY_RESTORE_REQUEST" not in meta:
            return False
        if request.path.startswith(self.not_pages):
            return False
        return response.status_code == 304 or _is_html(response)

    def _identity_refresh(self, request: HttpRequest, response: HttpResponse) -> None:
        # A request that loaded the user (the mini-cart on every page, a login, a logout)
        # corrects the session cookie, so the cached pages after it know the customer.
        if SESSION_COOKIE in request.COOKIES and consent_of(request) is Consent.GIVEN:
            value = session_identity_refresh(request)
            if value is not None:
                session_cookie_write(response, request, value)

    def _record(self, request: HttpRequest, response: HttpResponse, items: Any, *, page_view: bool) -> None:
        meta = request.META
        now = clock()
        user_agent = meta.get("HTTP_USER_AGENT", "")
        path = request.path
        channel = _channel(request, path)
        kind = client_kind(user_agent)
        anonymous_id = ""
        if page_view and not kind.is_bot and VISITOR_COOKIE not in request.COOKIES:
            # A client keeping no cookies: is it asking for pages faster than people read?
            anonymous_id = _anonymous_id(request, user_agent, now)
            if cookieless_rate.is_bot(anonymous_id, now=now.timestamp()):
                kind = BOT
        consent = consent_of(request)
        counted_with_cookies = consent is Consent.GIVEN and channel is Channel.WEB and not kind.is_bot
        if not counted_with_cookies and not anonymous_id:
            anonymous_id = _anonymous_id(request, user_agent, now)
        utm = _utm(request) if page_view else None
        campaign = campaign_key(utm["utm_source"], utm["utm_medium"], utm["utm_campaign"]) if utm else ""
        active = page_view or any(item.active for item in items)
        visit = visit_resolve(
            request,
            at=now,
            anonymous_id="" if counted_with_cookies else anonymous_id,
            campaign=campaign,
            active=active,
        )
        common: dict[str, Any] = {
            "occurred_at": now,
            "visitor_id": visit.visitor_id,
            "session_id": visit.session_id,
            "customer_id": visit.identity.customer_id,
            "consent": visit.consent,
            "channel": channel,
            "device": kind.device,
            "is_bot": kind.is_bot,
            "country": visit.identity.country,
            "path": _stored_path(request, path),
        }
        if utm:
            common.update(utm)
        events = [_event(item, common) for item in items]
        if page_view:
            events.insert(
                0, AnalyticsEvent(Kind.PAGE_VIEW, event_id=new_event_id(), referrer=_referrer(meta), **common)
            )
        if events:
            events_add(events)
        if counted_with_cookies:
            visit_cookies_write(response, request, visit)
        elif consent is Consent.REFUSED:
            visit_cookies_forget(response, request)


def _anonymous_id(request: HttpRequest, user_agent: str, now: datetime) -> str:
    return anonymous_visitor_id(client_address(request), user_agent, day=now.date().isoformat())


def _event(item: Declared, common: dict[str, Any]) -> AnalyticsEvent:
    fields = {**common, **item.fields}
    fields["event_id"] = item.event_id or new_event_id()
    return AnalyticsEvent(item.kind, **fields)


def new_event_id() -> str:
    # As random as the schema's uuid4 ids and of the same form (32 hex digits), at a
    # quarter of their cost: two or three per page add up.
    return token_hex(16)


def _is_html(response: HttpResponse) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return content_type.startswith("text/html")


def _channel(request: HttpRequest, path: str) -> Channel:
    if not path.startswith(APP_PATHS):
        return Channel.WEB
    # The storefront's own scripts call the API with the browser's session cookie.
    browser = (
        collect_settings().session_cookie_name in request.COOKIES
        and "HTTP_X_SESSION_TOKEN" not in request.META
    )
    return Channel.WEB if browser else Channel.APP


def _stored_path(request: HttpRequest, path: str) -> str:
    match = request.resolver_match
    return stored_path(path, match.kwargs if match is not None else {})


def _utm(request: HttpRequest) -> dict[str, str] | None:
    if "utm_" not in request.META.get("QUERY_STRING", ""):
        return None
    query = request.GET
    return {name: query.get(name, "")[:TEXT_LIMIT] for name in UTM_FIELDS}


def _referrer(meta: dict[str, Any]) -> str:
    """Where the visitor came from, when it is another site: its address without the query
    (which may hold anything of the visitor's), else ""."""
    referrer = meta.get("HTTP_REFERER", "")
    if not referrer:
        return ""
    parts = referrer.split("/", 3)
    if len(parts) < 3 or parts[2] == (meta.get("HTTP_HOST") or meta.get("SERVER_NAME", "")):
        return ""
    return referrer.split("?", 1)[0].split("#", 1)[0][:PATH_LIMIT]
