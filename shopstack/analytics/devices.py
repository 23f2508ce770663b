"""What kind of client sent a request: a phone, tablet or desktop browser, or a bot.

Two sources, both cheap on the hot path:

- the User-Agent, classified once per distinct string (an LRU): crawlers by crawlerdetect's
  maintained list of patterns, the device class from ua-parser's device and OS families;
- behaviour: a client that keeps no cookies (every page arrives as a first visit) and
  asks for more pages a minute than a person reads is a bot, whatever it calls itself.
  Counted per client address and User-Agent across every process in the shared counters
  (core/limits), but only one page in `SAMPLE` reaches them: the rest is a dict update in
  this process, so the rule costs the hot path about a microsecond.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache

import ua_parser
from crawlerdetect import CrawlerDetect
from django.conf import settings

from shopstack.analytics.schema import Device
from shopstack.core.limits import Limit, limit_consume

# A User-Agent longer than this is cut before parsing: no browser sends one, and the
# parsers' cost grows with the length.
UA_MAX_LENGTH = 512
_DESKTOP_SYSTEMS = frozenset(
    {"Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Debian", "Chrome OS", "FreeBSD", "OpenBSD"}
)
_PHONE_SYSTEMS = frozenset({"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Firefox OS"})
_crawlers = CrawlerDetect()


@dataclass(frozen=True, slots=True)
class ClientKind:
    device: str
    is_bot: bool


BOT = ClientKind(Device.BOT, True)


@lru_cache(maxsize=4096)
def client_kind(user_agent: str) -> ClientKind:
    """The device class of a User-Agent, or BOT. A request without one is a script."""
    agent = user_agent[:UA_MAX_LENGTH].strip()
    if not agent or _crawlers.is_crawler(agent):
        return BOT
    parsed = ua_parser.parse(agent)
    device = parsed.device
    family = device.family if device else ""
    brand = (device.brand or "") if device else ""
    system = parsed.os.family if parsed.os else ""
    if family == "Spider":
        return BOT
    if family == "iPad" or "Tablet" in brand or "Kindle" in family:
        return ClientKind(Device.TABLET, False)
    if system == "Android" and "Mobile" not in agent:
        # Android tablets' browsers leave "Mobile" out; phones' put it in.
        return ClientKind(Device.TABLET, False)
    if system in _PHONE_SYSTEMS or family == "iPhone":
        return ClientKind(Device.PHONE, False)
    if system in _DESKTOP_SYSTEMS:
        return ClientKind(Device.DESKTOP, False)
    return ClientKind(Device.OTHER, False)


# Behaviour ------------------------------------------------------------------------------

# One page in SAMPLE of a cookieless client is counted in the shared store, as SAMPLE pages.
SAMPLE = 10
WINDOW_SECONDS = 60
# How long a client caught by the rule stays a bot in the process that caught it.
FLAGGED_SECONDS = 3600
# Per-process memory bound: the tables are emptied when they grow past it (a window's
# counts are lost, which only delays catching a bot by a few pages).
MAX_CLIENTS = 20_000


class CookielessRate:
    """Pages a minute from clients that keep no cookies, per client key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pages: dict[str, tuple[int, int]] = {}  # key -> (window, pages in it)
        self._flagged: dict[str, float] = {}  # key -> until (epoch seconds)

    def is_bot(self, key: str, *, now: float | None = None) -> bool:
        """Count one cookieless page from `key`; True once the client is over the rate."""
        now = time.time() if now is None else now
        until = self._flagged.get(key)
        if until is not None and until > now:
            return True
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            if len(self._pages) > MAX_CLIENTS:
                self._pages.clear()
            held_window, pages = self._pages.get(key, (window, 0))
            pages = pages + 1 if held_window == window else 1
            self._pages[key] = (window, pages)
        if pages % SAMPLE:
            return False
        per_minute = settings.ANALYTICS_BOT_PAGES_PER_MINUTE
        limit = Limit("analytics-cookieless", max(1, per_minute // SAMPLE), WINDOW_SECONDS)
        if limit_consume(limit, key, now=now).allowed:
            return False
        with self._lock:
            if len(self._flagged) > MAX_CLIENTS:
                self._flagged.clear()
            self._flagged[key] = now + FLAGGED_SECONDS
        return True

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._flagged.clear()


cookieless_rate = CookielessRate()
