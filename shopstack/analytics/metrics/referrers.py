"""Where a visit came from when its first page carries no campaign (no utm_* tag): the
host of its referrer, and the class of that host.

A referrer that is empty, no absolute URL, or one of the shop's own hosts
(settings.SHOP_BASE_URL's and ALLOWED_HOSTS) is direct. Otherwise the host, without a
leading "www.", is a search engine (the big ones' own domains, any country's), a social
network (SOCIAL_DOMAINS or a subdomain of one), or another site (a referral).
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

import ibis
import ibis.expr.types as ir
from django.conf import settings


class Origin(StrEnum):
    CAMPAIGN = "campaign"  # tagged with utm_source, utm_medium or utm_campaign
    DIRECT = "direct"
    SEARCH = "search"
    SOCIAL = "social"
    REFERRAL = "referral"


# google.com, google.co.uk, uk.search.yahoo.com, duckduckgo.com ... but not mail.google.com.
_SEARCH_ENGINE = re.compile(
    r"^(?:[a-z]{2}\.)?(?:search\.)?"
    r"(?:google|bing|duckduckgo|yahoo|yandex|baidu|ecosia|qwant|startpage|ask|naver|seznam)"
    r"\.(?:[a-z]{2,3}|co\.[a-z]{2}|com\.[a-z]{2})$"
)
SEARCH_HOSTS = frozenset({"search.brave.com", "kagi.com", "html.duckduckgo.com", "lite.duckduckgo.com"})
SOCIAL_DOMAINS = (
    "facebook.com",
    "fb.com",
    "instagram.com",
    "threads.net",
    "twitter.com",
    "x.com",
    "t.co",
    "linkedin.com",
    "lnkd.in",
    "pinterest.com",
    "reddit.com",
    "tiktok.com",
    "youtube.com",
    "youtu.be",
    "snapchat.com",
    "tumblr.com",
    "bsky.app",
    "mastodon.social",
    "whatsapp.com",
    "t.me",
)

_HOST = r"^[a-z][a-z0-9+.-]*://(?:[^/?#@]*@)?([^/:?#]+)"


def referrer_host(referrer: ir.StringValue) -> ir.StringValue:
    """The referrer's host in lower case without "www.", or "" when it is no URL."""
    host = referrer.fill_null("").lower().re_extract(_HOST, 1).fill_null("")
    return host.re_replace(r"^www\.", "")


def is_own_host(host: ir.StringValue, own: tuple[str, ...]) -> ir.BooleanValue:
    if not own:
        return ibis.literal(False)
    return ibis.or_(*((host == name) | host.endswith(f".{name}") for name in own))


def own_hosts() -> tuple[str, ...]:
    """The shop's own host names (lower case, without "www."): a page that refers to
    another page of the shop is no outside referrer."""
    names = [urlsplit(settings.SHOP_BASE_URL).hostname or ""]
    names += [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*"]
    return tuple(sorted({_without_www(name.lower()) for name in names if name}))


def origin_of_host(host: str) -> Origin:
    """The class of a non-empty outside referrer host."""
    if host in SEARCH_HOSTS or _SEARCH_ENGINE.match(host):
        return Origin.SEARCH
    if any(host == domain or host.endswith(f".{domain}") for domain in SOCIAL_DOMAINS):
        return Origin.SOCIAL
    return Origin.REFERRAL


def _without_www(host: str) -> str:
    return host.removeprefix("www.")
