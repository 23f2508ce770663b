"""Analytics in a real browser: the beacon reports how long a page was visible when the
shopper leaves it (under the shop's CSP), and the consent banner works without JavaScript."""

from __future__ import annotations

import pytest

from shopstack.analytics.schema import Kind
from shopstack.analytics.store import event_store
from shopstack.testing.factories import make_product
from shopstack.testing.orders import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Headless Chromium says "HeadlessChrome", which the crawler list rightly takes for a bot
# (bots get no cookies): these tests stand in for a person's browser.
PERSON = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _recorded(kind: str) -> list[dict]:
    store = event_store()
    rows = [row for day in store.days() for row in store.read_day(day).events.to_pylist()]
    return [row for row in rows if row["kind"] == kind]


def _set_visibility(page, state: str) -> None:
    # What a browser does when its tab is switched away from, and back to.
    page.evaluate(
        """(state) => {
            Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def test_hiding_and_leaving_a_page_send_the_time_it_was_visible(browser, live_server):
    mug = make_product(name="Blue enamel mug", price="12.00")
    context = browser.new_context(user_agent=PERSON)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/p/{mug.slug}/")
        # Visible time must pass first: wait for it on the page's own clock.
        page.wait_for_function("() => performance.now() > 300")
        _set_visibility(page, "hidden")

        assert wait_until(lambda: len(_recorded(Kind.PAGE_ENGAGEMENT)) == 1, timeout=60)
        engaged = _recorded(Kind.PAGE_ENGAGEMENT)[0]
        assert engaged["path"] == f"/p/{mug.slug}/"
        assert 0 < engaged["engaged_ms"] < 30 * 60 * 1000
        view = next(row for row in _recorded(Kind.PAGE_VIEW) if row["path"] == f"/p/{mug.slug}/")
        assert (engaged["visitor_id"], engaged["session_id"]) == (view["visitor_id"], view["session_id"])
        assert engaged["session_id"] != ""

        # Back to the tab, then off to another page: the time since is sent as it unloads.
        _set_visibility(page, "visible")
        shown = page.evaluate("performance.now()")
        page.wait_for_function("(until) => performance.now() > until", arg=shown + 200)
        page.goto(f"{live_server.url}/")

        assert wait_until(lambda: len(_recorded(Kind.PAGE_ENGAGEMENT)) == 2, timeout=60)
        left = _recorded(Kind.PAGE_ENGAGEMENT)[1]
        assert left["path"] == f"/p/{mug.slug}/"
        assert left["engaged_ms"] >= 200
        assert errors == []
    finally:
        context.close()


def test_the_consent_banner_works_without_javascript(browser, live_server, settings):
    settings.ANALYTICS_CONSENT_BANNER = True
    mug = make_product(name="Blue enamel mug", price="12.00")
    context = browser.new_context(java_script_enabled=False, user_agent=PERSON)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/p/{mug.slug}/")
        assert not {cookie["name"] for cookie in context.cookies()} & {"analytics_visitor", "analytics_visit"}

        # One navigation: the form's POST, then its 303 back to the page, loaded.
        with page.expect_navigation(url=f"**/p/{mug.slug}/"):
            page.get_by_role("button", name="Accept").click()

        assert page.locator(".consent-banner").count() == 0
        names = {cookie["name"] for cookie in context.cookies()}
        assert {"analytics_consent", "analytics_visitor", "analytics_visit"} <= names
        assert _recorded(Kind.PAGE_VIEW)[-1]["consent"] is True
    finally:
        context.close()
