"""The analytics dashboards in the browser, on a phone and a desktop: every page draws its
charts (Chart.js from the vendored file, under the shop's Content-Security-Policy), shows
its tables, fits the phone's width, and logs no error. A screenshot of each is saved.

By default the pages read a small hand-made warehouse. `make screenshots` points them at the
demo's warehouse instead (DASHBOARD_WAREHOUSE=var/warehouse) and saves the pictures to
docs/screenshots/ (DASHBOARD_SCREENSHOTS), as analytics-<page>-<width>.png.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.conf import settings as django_settings
from django.test import Client

from e2e.conftest import VIEWPORTS, open_page
from shopstack.accounts.models import User
from shopstack.analytics.simulate.marker import simulated_marker
from shopstack.analytics.tests.dashboard_fixtures import MAY, small_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES = ("overview", "funnel", "products", "search", "campaigns", "customers", "fulfilment", "inventory")
# The first load of a page computes its report (seconds on the demo's 5 million events).
TIMEOUT_MS = 180_000


# Imported orders carry no shipment: the demo's fulfilment page has tables of dashes and no
# chart (a chart of nothing but zeros is left out).
CHARTLESS_ON_DEMO = {"fulfilment"}


def _demo() -> str:
    return os.environ.get("DASHBOARD_WAREHOUSE", "")


@pytest.fixture
def dashboard_data(settings, tmp_path) -> dict[str, dict[str, str]]:
    """The warehouse the pages read, and the question each page is asked."""
    demo = _demo()
    if not demo:
        settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path)
        settings.TIME_ZONE = "UTC"
        small_shop(tmp_path)
        return dict.fromkeys(PAGES, MAY)
    root = str(Path(demo).resolve())
    settings.ANALYTICS_WAREHOUSE_ROOT = root
    marker = simulated_marker(root) or {}
    last = date.fromisoformat(str(marker.get("last_day") or date.today()))
    simulated = {"start": (last - timedelta(days=27)).isoformat(), "end": last.isoformat()}
    # Stock snapshots are taken when compaction runs (today), not on the simulated days.
    return {page: {} if page == "inventory" else simulated for page in PAGES}


def _signed_in(browser, live_server, viewport: str):
    owner = User.objects.create_user(
        "owner@example.com", "a-long-owner-password-7", is_staff=True, is_superuser=True
    )
    # Staff reach the back office only with a second factor set up.
    Authenticator.objects.create(
        user=owner, type=Authenticator.Type.TOTP, data={"secret": encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")}
    )
    client = Client()
    client.force_login(owner)
    context, page, errors = open_page(browser, viewport, timeout_ms=TIMEOUT_MS)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    console: list[str] = []

    def logged(message) -> None:
        # Chromium asks for /favicon.ico on its own; the admin has none.
        if message.type == "error" and "favicon" not in message.location.get("url", ""):
            console.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", logged)
    return context, page, errors, console


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_every_dashboard_draws_its_charts_and_tables(browser, live_server, dashboard_data, viewport):
    width = VIEWPORTS[viewport][0]
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or Path(__file__).parent / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    context, page, errors, console = _signed_in(browser, live_server, viewport)
    try:
        for name in PAGES:
            query = urlencode(dashboard_data[name])
            response = page.goto(f"{live_server.url}/admin/analytics/{name}/?{query}")
            assert response.status == 200, name
            # Parts computed apart from the page (the overview's splits) are in place.
            page.locator("[data-part]").first.wait_for(state="detached")
            charts = page.locator("canvas[data-chart]")
            assert charts.count() > 0 or (_demo() and name in CHARTLESS_ON_DEMO), f"{name}: no chart"
            for index in range(charts.count()):
                chart = charts.nth(index)
                assert chart.get_attribute("data-drawn") == "true", f"{name}: chart {index} not drawn"
                box = chart.bounding_box()
                assert box is not None
                assert box["width"] > 100, f"{name}: {box}"
                assert box["height"] > 100, f"{name}: {box}"
            assert page.locator(".dash-table table").first.is_visible(), name
            assert page.locator(".dash-headlines .dash-card").count() > 0, name
            # Wide tables scroll inside their box: the page itself never scrolls sideways.
            assert page.evaluate("document.documentElement.scrollWidth") <= width, name
            page.screenshot(path=str(folder / f"analytics-{name}-{width}.png"), full_page=True)
        assert errors == []
        assert console == []
        assert browser.csp_violations == []
    finally:
        context.close()


def test_the_filters_fold_on_a_phone_and_the_custom_dates_open(browser, live_server, dashboard_data):
    context, page, errors, console = _signed_in(browser, live_server, "phone")
    try:
        response = page.goto(
            f"{live_server.url}/admin/analytics/overview/?{urlencode(dashboard_data['overview'])}"
        )
        assert response.status == 200, page.url
        picker = page.locator("#dash-picker")
        assert picker.get_attribute("open") is None
        page.locator("#dash-picker summary").click()
        page.select_option("#id_range", "last_7_days")
        assert page.locator("#id_start").is_disabled()
        page.select_option("#id_range", "custom")
        assert page.locator("#id_start").is_enabled()
        assert page.locator("#id_start").input_value() != ""
        assert errors == []
        assert console == []
    finally:
        context.close()
