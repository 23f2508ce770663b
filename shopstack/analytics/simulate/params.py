"""The simulation's assumptions, in one place, with the reasons for the numbers.

Shares are of human (not bot) visits unless said otherwise. They are plausible for a small
online gift shop today, not measured: the demo's browsing was never recorded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from enum import IntEnum
from typing import Any

# Moves whenever the same seed and history would give different events.
GENERATOR_VERSION = "1"
# Every simulated event id, session id and visitor id starts with this.
SIM_PREFIX = "sim-"

MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
DAY_US = 24 * HOUR_US


class Source(IntEnum):
    """Where a visit came from (its landing page's referrer and UTM tags)."""

    DIRECT = 0
    ORGANIC = 1
    EMAIL = 2
    PAID_SOCIAL = 3
    PAID_SEARCH = 4
    REFERRAL = 5
    NONE = 6  # a visit that goes on after an order: it has no landing page of its own


class Depth(IntEnum):
    """How far a visit went. Values above CART are the checkout step reached (0 = begin)."""

    BOUNCE = 0  # one page
    BROWSE = 1  # lists, searches, products
    CART = 2  # added to the cart, never started checkout
    CHECKOUT = 3  # + index of the last checkout step reached, up to CHECKOUT + 4 (review)


@dataclass(frozen=True)
class SimulationParams:
    # Human visits per real order: 40 gives a conversion rate of 2.5%, in the 1-4% that
    # small online shops commonly report.
    sessions_per_order: float = 40.0
    conversion_band: tuple[float, float] = (0.015, 0.04)
    # Of the visits that end without an order, how deep they go: bounce, browse, cart, then
    # the checkout step reached (contact, address, shipping, payment, review), each rarer.
    # With the ordering visits this puts something in the cart in about 9% of visits and
    # leaves about 73% of carts without an order, near what shops commonly report.
    depth_shares: tuple[float, ...] = (0.45, 0.48, 0.035, 0.015, 0.008, 0.005, 0.004, 0.003)
    # Traffic sources (Source order, DIRECT..REFERRAL): ordering visits lean on email and
    # direct, browsing ones on search and social adverts.
    source_shares_browsing: tuple[float, ...] = (0.28, 0.30, 0.08, 0.16, 0.13, 0.05)
    source_shares_ordering: tuple[float, ...] = (0.34, 0.24, 0.18, 0.06, 0.13, 0.05)
    # Devices of human visits: phone, tablet, desktop; a share of phone and tablet visits is
    # in the app.
    device_shares: tuple[float, float, float] = (0.52, 0.10, 0.38)
    app_share_of_mobile: float = 0.15
    # Bot visits per human visit (crawlers: many product pages, no beacon, no cart).
    bot_share: float = 0.04
    # Visits in which a customer who orders later looks around first, per order (on the 1-14
    # days before it).
    returning_visits_per_order: float = 1.0
    returning_days_max: int = 14
    # Anonymous visitors per anonymous visit: below 1, some come back (on other days).
    anonymous_visitors_per_visit: float = 0.6
    # Searches that find nothing: real words the catalogue has no product for.
    zero_result_share: float = 0.08
    # A page's beacon (page_engagement) is sometimes lost (tab closed, no network).
    beacon_share: float = 0.9
    # The weight of a day's own orders in its number of visits; the rest follows the week
    # around it, so a day without orders (the data has no Saturdays) still has visitors.
    day_weight_own: float = 0.7
    # Visits are kept to one day: none starts before 00:30 UTC and none runs past midnight,
    # so that two visits of a visitor on neighbouring days are never 30 minutes apart.
    day_start_us: int = 30 * MINUTE_US
    # Longest visit: longer ones are squeezed (all their gaps shortened alike), which keeps
    # the other visits of the same visitor at least a session gap away.
    ordering_visit_max_us: int = 3 * HOUR_US
    browsing_visit_max_us: int = 2 * HOUR_US
    session_gap_us: int = 30 * MINUTE_US
    # Benchmark only: the first day of a made-up history.
    synthetic_start: date = date(2024, 1, 1)

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self)
        values["synthetic_start"] = self.synthetic_start.isoformat()
        return values

    def errors(self) -> dict[str, str]:
        """Field -> message for values the simulation cannot work with."""
        found: dict[str, str] = {}
        if not 2 <= self.sessions_per_order <= 10_000:
            found["sessions_per_order"] = "must be between 2 and 10,000 visits per order"
        for name in ("depth_shares", "source_shares_browsing", "source_shares_ordering", "device_shares"):
            shares = getattr(self, name)
            if any(share < 0 for share in shares) or abs(sum(shares) - 1) > 1e-6:
                found[name] = "shares must be 0 or more and add up to 1"
        for name in ("bot_share", "app_share_of_mobile", "zero_result_share", "beacon_share"):
            if not 0 <= getattr(self, name) <= 1:
                found[name] = "must be between 0 and 1"
        if self.anonymous_visitors_per_visit <= 0 or self.anonymous_visitors_per_visit > 1:
            found["anonymous_visitors_per_visit"] = "must be above 0 and at most 1"
        return found


# Named campaigns by season: (name, first month-day, last month-day). A window that ends
# before it starts runs over the new year; the year in the name is the year it ends.
SEASONS: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    ("winter-sale", (12, 27), (1, 31)),
    ("valentines", (2, 1), (2, 14)),
    ("mothers-day", (3, 1), (3, 31)),
    ("easter", (4, 1), (4, 25)),
    ("garden-party", (5, 15), (6, 20)),
    ("summer-sale", (7, 1), (8, 31)),
    ("back-to-school", (9, 1), (9, 20)),
    ("halloween", (10, 10), (10, 31)),
    ("christmas", (11, 10), (12, 24)),
)


def season_of(day: date) -> str:
    """The seasonal campaign running on `day` ("" for none), e.g. "christmas-2010"."""
    key = (day.month, day.day)
    for name, first, last in SEASONS:
        if first <= last and first <= key <= last:
            return f"{name}-{day.year}"
        if first > last and (key >= first or key <= last):
            return f"{name}-{day.year + 1 if key >= first else day.year}"
    return ""


def campaigns_on(day: date) -> dict[Source, tuple[str, ...]]:
    """The campaigns a visit from each tagged source may carry on `day`."""
    season = season_of(day)
    email = (f"newsletter-{day:%Y-%m}", *((season,) if season else ()))
    social = (f"social-{season}",) if season else ("social-always-on",)
    search = ("search-brand", "search-generic-gifts", *((f"search-{season}",) if season else ()))
    return {Source.EMAIL: email, Source.PAID_SOCIAL: social, Source.PAID_SEARCH: search}


# utm_source, utm_medium and referrer for each tagged or referred source.
SOCIAL_SITES: tuple[tuple[str, str], ...] = (
    ("facebook", "https://l.facebook.com/"),
    ("instagram", "https://l.instagram.com/"),
    ("pinterest", "https://www.pinterest.co.uk/"),
)
SEARCH_ENGINES: tuple[tuple[str, float], ...] = (
    ("https://www.google.com/", 0.86),
    ("https://www.bing.com/", 0.09),
    ("https://duckduckgo.com/", 0.05),
)
REFERRING_SITES: tuple[str, ...] = (
    "https://www.reddit.com/",
    "https://gift-guide.example.org/",
    "https://craft-blog.example.net/best-gifts/",
)
MEDIUM = {Source.EMAIL: "email", Source.PAID_SOCIAL: "paid_social", Source.PAID_SEARCH: "cpc"}
EMAIL_SOURCE = "newsletter"
PAID_SEARCH_SOURCE = "google"
