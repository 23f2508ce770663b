"""Whether a visitor may be counted with a cookie, and the consent banner that asks.

A visitor is counted with first-party cookies (a visitor id lasting months, a session
that slides) only with consent: the browser's Do-Not-Track or Global Privacy Control
signal refuses it, so does a visitor who declined, and with ANALYTICS_CONSENT_BANNER on
every visitor is undecided (refused) until they accept. Without the banner, consent is
assumed unless refused. Everyone else is counted anonymously (visitors.py).

The banner is part of the page HTML, which the page cache shares between all visitors:
it is rendered into every page between two markers while the setting is on, and this
module takes it out again for visitors who have decided. A browser's cached copy must not
outlive that decision, so while a visitor is undecided their pages' ETags carry a suffix:
after deciding, their next revalidation matches no ETag and gets the page without the banner.
"""

from __future__ import annotations

from enum import Enum

from django.http import HttpRequest, HttpResponse

from shopstack.analytics.config import collect_settings

CONSENT_COOKIE = "analytics_consent"
ACCEPTED = "yes"
DECLINED = "no"
CONSENT_MAX_AGE = 390 * 86400  # 13 months, then the visitor is asked again

BANNER_START = b"<!--analytics-consent-->"
BANNER_END = b"<!--/analytics-consent-->"
UNDECIDED_ETAG_SUFFIX = '-consent"'


class Consent(Enum):
    GIVEN = "given"
    REFUSED = "refused"  # declined, or refused by the browser's DNT / GPC signal
    UNDECIDED = "undecided"  # the banner is on and the visitor has not answered


def consent_of(request: HttpRequest) -> Consent:
    meta = request.META
    if meta.get("HTTP_DNT") == "1" or meta.get("HTTP_SEC_GPC") == "1":
        return Consent.REFUSED
    choice = request.COOKIES.get(CONSENT_COOKIE)
    if choice == DECLINED:
        return Consent.REFUSED
    if choice == ACCEPTED:
        return Consent.GIVEN
    return Consent.UNDECIDED if collect_settings().consent_banner else Consent.GIVEN


def consent_cookie_set(response: HttpResponse, request: HttpRequest, *, accepted: bool) -> None:
    response.set_cookie(
        CONSENT_COOKIE,
        ACCEPTED if accepted else DECLINED,
        max_age=CONSENT_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


# The banner in cached pages ------------------------------------------------------------


def conditional_headers_for_undecided(request: HttpRequest) -> None:
    """Before the view: an undecided visitor's If-None-Match names the ETags we gave them
    with the suffix; take it off so the page's own ETag matches. A tag without it was given
    after a decision, to a page without the banner: drop the condition, so the banner shows."""
    meta = request.META
    tags = meta.get("HTTP_IF_NONE_MATCH")
    if tags is None:
        meta.pop("HTTP_IF_MODIFIED_SINCE", None)
        return
    if UNDECIDED_ETAG_SUFFIX in tags:
        meta["HTTP_IF_NONE_MATCH"] = tags.replace(UNDECIDED_ETAG_SUFFIX, '"')
    else:
        del meta["HTTP_IF_NONE_MATCH"]
        meta.pop("HTTP_IF_MODIFIED_SINCE", None)


def mark_undecided_answer(response: HttpResponse) -> None:
    """After the view: this visitor's copy carries the banner, so its ETag says so, and it
    gets no Last-Modified (a date alone would match again after the decision)."""
    etag = response.headers.get("ETag")
    if etag and etag.endswith('"') and not etag.endswith(UNDECIDED_ETAG_SUFFIX):
        response.headers["ETag"] = etag[:-1] + UNDECIDED_ETAG_SUFFIX
    if "Last-Modified" in response.headers:
        del response.headers["Last-Modified"]


def banner_remove(response: HttpResponse) -> None:
    """Take the banner out of an HTML page for a visitor who has decided."""
    if response.streaming or response.status_code != 200:
        return
    content = response.content
    start = content.find(BANNER_START)
    if start < 0:
        return
    end = content.find(BANNER_END, start)
    if end < 0:
        return
    response.content = content[:start] + content[end + len(BANNER_END) :]
