"""The whole analytics path in a real browser: a shopper visits, buys a mug, the pipeline
runs (compaction of the event store, the facts rebuild), and the owner's dashboards then
show the visit, every funnel step and the order with its revenue. Nothing is written to
the warehouse by the test itself: the events are the ones the shop recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.conf import settings as django_settings
from django.test import Client

from e2e.conftest import open_page
from shopstack.accounts.models import User
from shopstack.analytics.warehouse.compaction import events_compact
from shopstack.analytics.warehouse.snapshots import tables_rebuild
from shopstack.orders.models import Order
from shopstack.testing.checkout import ensure_checkout_data
from shopstack.testing.factories import make_product
from shopstack.testing.payments import TEST_CARDS, live_gateway  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Headless Chromium names itself "HeadlessChrome", which the crawler list rightly counts as a
# bot (not a visitor): this shopper's browser says what a person's Chrome says.
PERSON = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
# Seven days, not today only: the test must not fail when it runs across midnight.
WEEK = "range=last_7_days&compare=none"


def _buy_a_mug(browser, live_server) -> Order:
    ensure_checkout_data()
    mug = make_product(name="Blue enamel mug", price="12.00", stock=5, code="MUG88")
    context = browser.new_context(user_agent=PERSON, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/")
        page.goto(f"{live_server.url}/p/{mug.slug}/")
        page.click("#add-to-cart button[type=submit]")
        page.locator(".add-to-cart__added").wait_for()
        page.goto(f"{live_server.url}/cart/")
        page.click("#go-to-checkout")
        page.wait_for_url("**/checkout/*/")
        page.fill("#email", "shopper@example.com")
        page.fill("#shipping-full_name", "Sam Shopper")
        page.fill("#shipping-line1", "3 Market Street")
        page.fill("#shipping-city", "Leeds")
        page.fill("#shipping-postal_code", "LS1 1AA")
        page.fill("#shipping-country", "GB")
        page.click("#address-continue")
        page.wait_for_url("**/shipping/")
        page.check("input[name=method_id] >> nth=0")
        page.click("#shipping-continue")
        page.wait_for_url("**/payment/")
        page.click("#pay-with-card")
        page.wait_for_url("**/_testgateway/pay/**")
        page.fill("#card_number", TEST_CARDS["success"])
        page.click("button[type=submit]")
        page.wait_for_url("**/review/")
        page.click("#place-order")
        page.wait_for_url("**/checkout/orders/*/")
        page.locator("#order-status[data-phase=confirmed]").wait_for()
        assert errors == []
    finally:
        context.close()
    return Order.objects.get()


def _owner_page(browser, live_server):
    owner = User.objects.create_user(
        "owner@example.com", "a-long-owner-password-7", is_staff=True, is_superuser=True
    )
    # Staff reach the back office only with a second factor set up.
    Authenticator.objects.create(
        user=owner, type=Authenticator.Type.TOTP, data={"secret": encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")}
    )
    client = Client()
    client.force_login(owner)
    context, page, errors = open_page(browser, "desktop", timeout_ms=120_000)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return context, page, errors


def _headline(page, label: str) -> str:
    card = page.locator(".dash-card").filter(has=page.locator(".dash-card-label", has_text=label)).first
    return card.locator(".dash-card-value").inner_text().strip()


def test_a_shoppers_visit_and_order_reach_the_dashboards(browser, live_server, live_gateway, settings):  # noqa: F811
    # Revenue is a captured payment (docs/analytics.md): this shop takes the money when the
    # order is placed, as many do, rather than when it ships.
    settings.ORDERS_AUTO_CAPTURE = True
    order = _buy_a_mug(browser, live_server)
    assert order.total_amount == Decimal("15.95")  # 12.00 + 3.95 shipping

    context, page, errors = _owner_page(browser, live_server)
    try:
        # Before the pipeline runs the warehouse knows nothing of the visit.
        page.goto(f"{live_server.url}/admin/analytics/overview/?{WEEK}")
        assert page.locator(".dash-empty").count() == 1

        compacted = events_compact()
        assert compacted.added > 0
        tables_rebuild()

        page.goto(f"{live_server.url}/admin/analytics/overview/?{WEEK}")
        assert _headline(page, "Visitors") == "1"
        assert _headline(page, "Sessions") == "1"
        assert _headline(page, "Orders") == "1"
        assert "15.95" in _headline(page, "Gross revenue")
        assert _headline(page, "Conversion rate") == "100.0%"

        page.goto(f"{live_server.url}/admin/analytics/funnel/?{WEEK}")
        table = page.locator("section.dash-section").first.locator("tbody").inner_text()
        assert _headline(page, "Paid") == "1", table
        # Every step of the strict funnel was reached by the one session: no step lost it.
        steps = page.locator("section.dash-section").first.locator("tbody tr")
        assert steps.count() >= 10  # session, product, cart, five checkout steps, placed, paid
        for index in range(steps.count()):
            cells = steps.nth(index).locator("td")
            assert cells.first.inner_text().strip() == "1", steps.nth(index).inner_text()

        page.goto(f"{live_server.url}/admin/analytics/products/?{WEEK}")
        assert "Blue enamel mug" in page.locator("section.dash-section").first.inner_text()
        assert errors == []
    finally:
        context.close()
