"""Campaigns, referrers, attribution and ad spend on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings

from shopstack.analytics.metrics.campaigns import Source, campaigns
from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.metrics.referrers import Origin, origin_of_host, own_hosts
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events, write_rows

MAY_1_2 = Period(date(2026, 5, 1), date(2026, 5, 2))
OWN = ("shop.example",)
GOOGLE_ADS = Source(Origin.CAMPAIGN, "google", "cpc", "spring")
NEWSLETTER = Source(Origin.CAMPAIGN, "newsletter", "email", "may")
FACEBOOK_ADS = Source(Origin.CAMPAIGN, "facebook", "paid_social", "may")
DIRECT = Source(Origin.DIRECT, "")
GOOGLE_SEARCH = Source(Origin.SEARCH, "google.co.uk")


def _page(when: str, visitor: str, session: str, **fields) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind="page_view", occurred_at=at(when), visitor_id=visitor, session_id=session, **fields
    )


def _placed(when: str, visitor: str, session: str, order_id: int, **fields) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind="order_placed",
        occurred_at=at(when),
        visitor_id=visitor,
        session_id=session,
        order_id=order_id,
        **fields,
    )


def _tags(source: Source) -> dict[str, str]:
    return {"utm_source": source.source, "utm_medium": source.medium, "utm_campaign": source.campaign}


def _fixture(root) -> None:
    write_events(
        root,
        [
            # v1: an advert in April, a Google search on May 1st, then back directly to buy.
            _page("2026-04-10 10:00", "v1", "s1a", **_tags(GOOGLE_ADS)),
            _page("2026-05-01 09:00", "v1", "s1b", referrer="https://www.google.co.uk/search?q=mug"),
            _page("2026-05-01 10:00", "v1", "s1c"),
            _placed("2026-05-01 10:05", "v1", "s1c", 1),
            # v2 buys from the newsletter; an advert visit after the order takes no credit.
            _page("2026-05-01 11:00", "v2", "s2a", **_tags(NEWSLETTER)),
            _page("2026-05-01 11:02", "v2", "s2a", referrer="https://shop.example/products/mug"),
            _placed("2026-05-01 11:05", "v2", "s2a", 2),
            _page("2026-05-02 09:00", "v2", "s2b", **_tags(GOOGLE_ADS)),
            # v3: an advert in March (62 days before the order), then from the shop's own page.
            _page("2026-03-01 12:00", "v3", "s3a", **_tags(GOOGLE_ADS)),
            _page("2026-05-02 12:00", "v3", "s3b", referrer="https://shop.example/cart"),
            _placed("2026-05-02 12:05", "v3", "s3b", 3),
            # v4 comes from Facebook and from a blog (on a tablet), and buys nothing.
            _page("2026-05-01 13:00", "v4", "s4a", referrer="https://l.facebook.com/l.php?u=x"),
            _page("2026-05-02 14:00", "v4", "s4b", referrer="https://blog.example.org/post", device="tablet"),
            # v5 places order 4 from an advert and never pays.
            _page("2026-05-02 15:00", "v5", "s5a", **_tags(GOOGLE_ADS)),
            _placed("2026-05-02 15:05", "v5", "s5a", 4),
            _page("2026-05-01 16:00", "bot", "x", is_bot=True, device="bot", **_tags(GOOGLE_ADS)),
            # v6 at 23:30 UTC on April 30th (May 1st in London) from DuckDuckGo.
            _page("2026-04-30 23:30", "v6", "s6a", referrer="https://duckduckgo.com/"),
        ],
    )
    paid = {"paid_at": at("2026-05-02 18:00")}
    write_rows(
        root,
        "orders",
        [
            {"order_id": 1, "placed_at": at("2026-05-01 10:05"), "total_minor": 5000, **paid},
            {
                "order_id": 2,
                "placed_at": at("2026-05-01 11:05"),
                "total_minor": 3000,
                "refunded_minor": 500,
                **paid,
            },
            {"order_id": 3, "placed_at": at("2026-05-02 12:05"), "total_minor": 2000, **paid},
            {"order_id": 4, "placed_at": at("2026-05-02 15:05"), "total_minor": 700},
            {"order_id": 5, "placed_at": at("2026-05-02 16:00"), "total_minor": 1000, **paid},  # the API
        ],
    )
    spend = [
        ("2026-04-30", GOOGLE_ADS, 999),
        ("2026-05-01", GOOGLE_ADS, 1000),
        ("2026-05-02", GOOGLE_ADS, 1500),
        ("2026-05-01", FACEBOOK_ADS, 400),
    ]
    write_rows(
        root,
        "ad_spend",
        [
            {"day": date.fromisoformat(day), **_tags(source), "cost_minor": cost}
            for day, source, cost in spend
        ],
    )


def test_sessions_by_their_first_pages_source(engine_for, tmp_path):
    _fixture(tmp_path)

    result = campaigns(engine_for(tmp_path), MAY_1_2, attribution_days=30, own=OWN)

    assert [
        (r.source, r.sessions, r.converted_sessions, r.orders, r.gross_minor, r.refunded_minor)
        for r in result.by_session
    ] == [
        (GOOGLE_ADS, 2, 1, 1, 0, 0),  # s2b, s5a (order 4 unpaid)
        (DIRECT, 2, 2, 2, 7000, 0),  # s1c, s3b (the shop's own page is no referrer): orders 1, 3
        (NEWSLETTER, 1, 1, 1, 3000, 500),
        (Source(Origin.REFERRAL, "blog.example.org"), 1, 0, 0, 0, 0),
        (GOOGLE_SEARCH, 1, 0, 0, 0, 0),
        (Source(Origin.SOCIAL, "l.facebook.com"), 1, 0, 0, 0, 0),
    ]
    assert result.session_source(DIRECT).conversion_rate == 1.0
    assert result.session_source(GOOGLE_ADS).conversion_rate == 1 / 2


def test_orders_go_to_the_last_non_direct_click_with_ad_spend(engine_for, tmp_path):
    _fixture(tmp_path)

    result = campaigns(engine_for(tmp_path), MAY_1_2, attribution_days=30, own=OWN)

    # 1: the Google search before the direct visit; 2: the newsletter (not the later advert);
    # 3: the March advert is too old, direct; 4: its advert; 5: no visit, direct.
    assert [
        (r.source, r.orders, r.gross_minor, r.refunded_minor, r.cost_minor) for r in result.attributed
    ] == [
        (GOOGLE_SEARCH, 1, 5000, 0, 0),
        (DIRECT, 2, 3000, 0, 0),
        (NEWSLETTER, 1, 3000, 500, 0),
        (GOOGLE_ADS, 1, 0, 0, 2500),  # spend on May 1st and 2nd, not April 30th
        (FACEBOOK_ADS, 0, 0, 0, 400),
    ]
    google = result.attributed_to(GOOGLE_ADS)
    assert (google.cost_per_order_minor, google.return_on_ad_spend) == (2500.0, 0.0)
    assert result.attributed_to(FACEBOOK_ADS).cost_per_order_minor is None
    assert result.attributed_to(NEWSLETTER).return_on_ad_spend is None


def test_a_longer_window_reaches_older_campaigns(engine_for, tmp_path):
    _fixture(tmp_path)

    result = campaigns(engine_for(tmp_path), MAY_1_2, attribution_days=90, own=OWN)

    google = result.attributed_to(GOOGLE_ADS)
    assert (google.orders, google.gross_minor, google.return_on_ad_spend) == (2, 2000, 2000 / 2500)
    assert (result.attributed_to(DIRECT).orders, result.attributed_to(DIRECT).gross_minor) == (1, 1000)
    assert result.attributed_to(GOOGLE_SEARCH).orders == 1  # still the later click


def test_a_filter_the_shops_days_and_the_previous_period(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    tablet = campaigns(engine, Period(MAY_1_2.start, MAY_1_2.end, filters=Filters(device="tablet")), own=OWN)
    london = campaigns(engine, Period(MAY_1_2.start, MAY_1_2.end, tz="Europe/London"), own=OWN)
    before = campaigns(engine, MAY_1_2.previous(), own=OWN)

    assert [(r.source, r.sessions) for r in tablet.by_session] == [
        (Source(Origin.REFERRAL, "blog.example.org"), 1)
    ]
    # No order came from a tablet; the campaigns' spend is not split by device.
    assert [(r.source, r.orders, r.cost_minor) for r in tablet.attributed] == [
        (GOOGLE_ADS, 0, 2500),
        (FACEBOOK_ADS, 0, 400),
    ]
    assert london.session_source(Source(Origin.SEARCH, "duckduckgo.com")).sessions == 1
    # April 29th-30th (UTC): v6's visit, and April 30th's spend.
    assert [(r.source, r.sessions) for r in before.by_session] == [
        (Source(Origin.SEARCH, "duckduckgo.com"), 1)
    ]
    assert [(r.source, r.orders, r.cost_minor) for r in before.attributed] == [(GOOGLE_ADS, 0, 999)]


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("google.com", Origin.SEARCH),
        ("google.co.uk", Origin.SEARCH),
        ("uk.search.yahoo.com", Origin.SEARCH),
        ("search.brave.com", Origin.SEARCH),
        ("mail.google.com", Origin.REFERRAL),
        ("l.facebook.com", Origin.SOCIAL),
        ("t.co", Origin.SOCIAL),
        ("x.com", Origin.SOCIAL),
        ("box.com", Origin.REFERRAL),
        ("blog.example.org", Origin.REFERRAL),
    ],
)
def test_referrer_hosts_are_classed(host, origin):
    assert origin_of_host(host) == origin


@override_settings(
    SHOP_BASE_URL="https://www.Shop.example:8443/", ALLOWED_HOSTS=["*", ".shop.example", "cdn.shop.example"]
)
def test_the_shops_own_hosts_come_from_its_settings():
    assert own_hosts() == ("cdn.shop.example", "shop.example")
