"""Who a request comes from, as analytics counts people: a visitor and their session.

With consent (consent.py) a visitor carries two first-party cookies, both HttpOnly and
SameSite=Lax (Secure on HTTPS):

- the visitor cookie: a random id, kept 13 months (renewed when a session starts);
- the session cookie: the session id, when it was last active, its campaign, and the
  signed-in customer with their country (so cached pages, which never read the user,
  still know who is browsing). It lives ANALYTICS_SESSION_MINUTES and slides with every
  event; a page from another campaign starts a new session (sessions.py). It is signed:
  a forged one is ignored, since it could otherwise name another customer.

Without consent nothing is stored on the device. The visitor id is then a keyed hash of
the client address and User-Agent with the UTC day ("anon-..."): the same person is one
visitor within a day and a stranger the next, and the id reveals neither. Their session
id is left empty: compaction assigns sessions by the same rule (sessions_assign).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from http.cookies import Morsel

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from shopstack.accounts.countries import is_country_code
from shopstack.accounts.models import Address
from shopstack.analytics.config import collect_settings
from shopstack.analytics.sessions import SessionState, session_continue, starts_new_session

VISITOR_COOKIE = "analytics_visitor"
SESSION_COOKIE = "analytics_visit"
VISITOR_MAX_AGE = 390 * 86400  # 13 months
ANONYMOUS_PREFIX = "anon-"
_VISITOR_ID = re.compile(r"[0-9a-f]{32}")
_SIGNATURE_LENGTH = 20  # hex characters: 80 bits


@dataclass(frozen=True, slots=True)
class Identity:
    """The signed-in customer behind a visit, as far as it is known without a query."""

    customer_id: int | None
    country: str


NOBODY = Identity(None, "")


@dataclass(frozen=True, slots=True)
class SessionCookie:
    state: SessionState
    identity: Identity


@dataclass(slots=True)
class Visit:
    visitor_id: str
    session_id: str
    consent: bool
    identity: Identity
    new_visitor: bool = False  # write the visitor cookie
    session_cookie: str | None = None  # write the session cookie with this value


# Keys -----------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"shopstack.analytics.{purpose}:{settings.SECRET_KEY}".encode()).digest()


@lru_cache(maxsize=4)
def _day_key(day: str) -> bytes:
    return hmac.digest(_key("anonymous"), day.encode(), "sha256")


def anonymous_visitor_id(address: str, user_agent: str, *, day: str) -> str:
    """A visitor without cookies: the same id all UTC day `day` for one address and browser."""
    return _anonymous_visitor_id(address, user_agent, day)


# A client without cookies asks for page after page (a script, a visitor who declined):
# its id is worked out once per process and day, not once per page.
@lru_cache(maxsize=4096)
def _anonymous_visitor_id(address: str, user_agent: str, day: str) -> str:
    digest = hmac.digest(_day_key(day), f"{address}\n{user_agent}".encode(), "sha256")
    return ANONYMOUS_PREFIX + digest[:16].hex()


def _sign(payload: str) -> str:
    return hmac.digest(_key("session-cookie"), payload.encode(), "sha256").hex()[:_SIGNATURE_LENGTH]


# The session cookie ---------------------------------------------------------------------


def campaign_tag(campaign: str) -> str:
    """A campaign key as a short token fit for a cookie (only compared, never read back)."""
    if not campaign:
        return ""
    return hashlib.blake2s(campaign.encode(), digest_size=6).hexdigest()


def session_cookie_value(cookie: SessionCookie) -> str:
    state, identity = cookie.state, cookie.identity
    customer = "" if identity.customer_id is None else str(identity.customer_id)
    payload = (
        f"{state.session_id}.{int(state.last_at.timestamp())}.{state.campaign}.{customer}.{identity.country}"
    )
    return f"{payload}.{_sign(payload)}"


def session_cookie_read(value: str | None) -> SessionCookie | None:
    """The cookie's content, or None for a missing, malformed or forged one."""
    if not value:
        return None
    return _session_cookie_parse(value)


# A visitor presents the same cookie for up to a minute (it is renewed once a minute):
# the signature is checked once per process, not once per page.
@lru_cache(maxsize=8192)
def _session_cookie_parse(value: str) -> SessionCookie | None:
    payload, _, signature = value.rpartition(".")
    if not hmac.compare_digest(signature, _sign(payload)):
        return None
    parts = payload.split(".")
    if len(parts) != 5 or not parts[0] or not parts[1].isdigit():
        return None
    session_id, last_at, campaign, customer, country = parts
    state = SessionState(session_id, datetime.fromtimestamp(int(last_at), UTC), campaign)
    identity = Identity(int(customer) if customer.isdigit() else None, country)
    return SessionCookie(state, identity)


def new_session_id() -> str:
    return "w-" + secrets.token_hex(12)


# Who is signed in -----------------------------------------------------------------------


def _loaded_user(request: HttpRequest) -> object | None:
    """request.user if something in this request already loaded it, else None: analytics
    never loads it itself (on a cached page that would be a session read and a query)."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user.__dict__.get("_wrapped", empty) is empty:
        return None
    return user


def identity_of(request: HttpRequest, known: Identity | None) -> Identity:
    """The customer behind the request: set at login (`identity_note`), else the loaded
    user, else what the session cookie remembered (`known`)."""
    noted = request.__dict__.get("_analytics_identity")
    if noted is not None:
        return noted  # type: ignore[no-any-return]
    user = _loaded_user(request)
    if user is None:
        return known or NOBODY
    if not getattr(user, "is_authenticated", False):
        return NOBODY
    pk = user.pk  # type: ignore[attr-defined]
    if known is not None and known.customer_id == pk:
        return known
    country = getattr(user, "country", "") or ""
    return Identity(pk, country if is_country_code(country) else "")


def customer_identity(user: object) -> Identity:
    """A customer and their country: their default shipping address's, else the account's
    (one query, at login)."""
    pk = user.pk  # type: ignore[attr-defined]
    country = (
        Address.objects.filter(user_id=pk, is_default_shipping=True).values_list("country", flat=True).first()
    )
    if not country:
        country = getattr(user, "country", "") or ""
    return Identity(pk, country if is_country_code(country) else "")


def identity_note(request: HttpRequest, identity: Identity) -> None:
    """Remember who signed in with this request (the login handler, which knows more)."""
    request._analytics_identity = identity  # type: ignore[attr-defined]


# Resolving a visit ----------------------------------------------------------------------


def visit_resolve(
    request: HttpRequest, *, at: datetime, anonymous_id: str = "", campaign: str = "", active: bool = True
) -> Visit:
    """The visitor and session of a request at `at`: counted anonymously as `anonymous_id`
    (`anonymous_visitor_id`) when given, else with consent by the cookies. `campaign` (a
    campaign key, sessions.py) is the page's own; `active` events slide the session, others
    (the beacon) only read it."""
    if anonymous_id:
        return Visit(
            visitor_id=anonymous_id,
            session_id="",
            consent=False,
            identity=NOBODY,
        )
    cookies = request.COOKIES
    visitor_id = cookies.get(VISITOR_COOKIE, "")
    new_visitor = not _VISITOR_ID.fullmatch(visitor_id)
    if new_visitor:
        visitor_id = secrets.token_hex(16)
    held = session_cookie_read(cookies.get(SESSION_COOKIE))
    identity = identity_of(request, held.identity if held else None)
    gap = collect_settings().session_gap
    state = held.state if held else None
    if state is not None and at - state.last_at >= gap:
        state = None  # the cookie outlived its session (a clock skew, or a kept tab)
    if not active:
        return Visit(
            visitor_id=visitor_id,
            session_id=state.session_id if state else "",
            consent=True,
            identity=identity,
        )
    tag = campaign_tag(campaign)
    # A new session's id is drawn only when one starts, not for every page.
    starts = state is None or starts_new_session(
        last_at=state.last_at, last_campaign=state.campaign, at=at, campaign=tag, gap=gap
    )
    new_id = new_session_id() if starts else ""
    now_state = session_continue(state, at=at, campaign=tag, gap=gap, new_id=new_id)
    started = state is None or now_state.session_id != state.session_id
    # Renewed at most once a minute while nothing else changes: most pages then write no
    # cookie at all. The session's last activity is known to the minute.
    renew = (
        started
        or held is None
        or identity != held.identity
        or int(at.timestamp()) // 60 != int(held.state.last_at.timestamp()) // 60
    )
    return Visit(
        visitor_id=visitor_id,
        session_id=now_state.session_id,
        consent=True,
        identity=identity,
        # A new session renews the visitor cookie, so a regular visitor's never lapses.
        new_visitor=new_visitor or started,
        session_cookie=session_cookie_value(SessionCookie(now_state, identity)) if renew else None,
    )


def _cookie_set(response: HttpResponse, request: HttpRequest, name: str, value: str, max_age: int) -> None:
    # Straight into the response's cookie jar: the values are plain ASCII that needs no
    # quoting, and Max-Age alone is what browsers go by, so Django's set_cookie (which
    # quotes the value and formats an Expires date) is skipped on the hot path.
    if name in response.cookies:
        return  # the view set or removed it (a consent answer): its word stands
    morsel: Morsel[str] = Morsel()
    morsel.set(name, value, value)
    morsel["max-age"] = max_age
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if request.is_secure():
        morsel["secure"] = True
    dict.__setitem__(response.cookies, name, morsel)


def visit_cookies_write(response: HttpResponse, request: HttpRequest, visit: Visit) -> None:
    if not visit.new_visitor and visit.session_cookie is None:
        return
    if visit.new_visitor:
        _cookie_set(response, request, VISITOR_COOKIE, visit.visitor_id, VISITOR_MAX_AGE)
    if visit.session_cookie is not None:
        session_cookie_write(response, request, visit.session_cookie)
    # The answer now carries this visitor's cookies: no shared cache may keep it.
    control = response.headers.get("Cache-Control")
    if control is None:
        response.headers["Cache-Control"] = "private"
    elif "private" not in control and "no-store" not in control:
        response.headers["Cache-Control"] = "private, " + control


def session_cookie_write(response: HttpResponse, request: HttpRequest, value: str) -> None:
    # A minute longer than the session: the cookie is renewed at most once a minute.
    _cookie_set(response, request, SESSION_COOKIE, value, collect_settings().session_cookie_seconds)


def session_identity_refresh(request: HttpRequest) -> str | None:
    """The session cookie again when this request learnt who is signed in (or out) and the
    cookie says otherwise; None when it is right, or there is none to correct."""
    if "_analytics_identity" not in request.__dict__ and _loaded_user(request) is None:
        return None
    held = session_cookie_read(request.COOKIES.get(SESSION_COOKIE))
    if held is None:
        return None
    identity = identity_of(request, held.identity)
    if identity == held.identity:
        return None
    return session_cookie_value(SessionCookie(held.state, identity))


def visit_cookies_forget(response: HttpResponse, request: HttpRequest) -> None:
    """Remove the visitor's analytics cookies (a decline, or a browser now refusing)."""
    for name in (VISITOR_COOKIE, SESSION_COOKIE):
        if name in request.COOKIES:
            response.delete_cookie(name, samesite="Lax")
