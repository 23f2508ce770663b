"""The account menu in the browser: on a phone one compact row of tabs that scrolls in its
own strip (every link reachable, the page itself never scrolls sideways); on a desktop a
sidebar beside the page. The current section is marked on every account page."""

from __future__ import annotations

import itertools

import pytest

from e2e.conftest import VIEWPORTS
from shopstack.testing.customer_orders import PASSWORD, make_customer

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINKS = [
    "Your details",
    "Orders",
    "Address book",
    "Email address",
    "Password",
    "Two-factor authentication",
    "Sign out",
]
# Account pages and the menu entry each one belongs to.
PAGES = {
    "/account/": "Your details",
    "/account/orders/": "Orders",
    "/account/addresses/": "Address book",
    "/accounts/email/": "Email address",
    "/accounts/password/change/": "Password",
    "/accounts/2fa/": "Two-factor authentication",
}


def signed_in_page(browser, live_server, viewport: str):
    make_customer("ann@example.com")
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", "ann@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_load_state()
    return context, page


def menu_boxes(page) -> list[dict]:
    links = page.locator("nav.account-nav a")
    assert links.all_inner_texts() == LINKS
    return [links.nth(i).bounding_box() for i in range(links.count())]


def test_phone_menu_is_one_row_of_tabs_with_every_link_reachable(browser, live_server, screenshot_dir):
    context, page = signed_in_page(browser, live_server, "phone")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        for path, current in PAGES.items():
            page.goto(f"{live_server.url}{path}")
            assert page.locator("nav.account-nav a[aria-current=page]").all_inner_texts() == [current], path
            boxes = menu_boxes(page)
            # One row: every tab on the same line, the menu no taller than one tab (+ its strip).
            assert len({round(box["y"]) for box in boxes}) == 1, f"menu wraps on {path}: {boxes}"
            nav = page.locator("nav.account-nav").bounding_box()
            assert nav["height"] < 2 * boxes[0]["height"], f"menu is {nav['height']} px tall on {path}"
            assert all(box["height"] >= 44 for box in boxes), "tabs are smaller than a finger"
            # The strip scrolls, not the page.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
        page.screenshot(path=str(screenshot_dir / "account-nav-phone.png"))

        # Every link can be scrolled into view inside the strip and lies on screen then.
        page.goto(f"{live_server.url}/account/")
        width = VIEWPORTS["phone"][0]
        links = page.locator("nav.account-nav a")
        for i, name in enumerate(LINKS):
            link = links.nth(i)
            # As a swipe along the strip would: bring the whole tab into view.
            link.evaluate("el => el.scrollIntoView({block: 'nearest', inline: 'nearest'})")
            box = link.bounding_box()
            assert box["x"] >= 0, f"{name} is off screen: {box}"
            assert box["x"] + box["width"] <= width + 0.5, f"{name} is off screen: {box}"
            # Nothing covers it: a tap on its middle lands on the link itself.
            middle = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            assert page.evaluate("([x, y]) => document.elementFromPoint(x, y).textContent", middle) == name
        # ...and following one works: the last tab before "Sign out" leads to its page.
        links.nth(LINKS.index("Two-factor authentication")).click()
        page.wait_for_url("**/accounts/2fa/")
        current = page.locator("nav.account-nav a[aria-current=page]")
        assert current.inner_text() == "Two-factor authentication"
        assert errors == []
    finally:
        context.close()


def test_desktop_menu_is_a_sidebar_beside_the_page(browser, live_server, screenshot_dir):
    context, page = signed_in_page(browser, live_server, "desktop")
    try:
        for path in ("/account/", "/account/orders/", "/accounts/email/"):
            page.goto(f"{live_server.url}{path}")
            boxes = menu_boxes(page)
            # A column: each link under the one before, all at the same left edge.
            assert all(b["y"] > a["y"] for a, b in itertools.pairwise(boxes)), path
            assert len({round(box["x"]) for box in boxes}) == 1, path
            nav = page.locator("nav.account-nav").bounding_box()
            heading = page.locator("main > h1").bounding_box()
            content = page.locator("main > :not(h1):not(nav)").last.bounding_box()
            assert nav["y"] > heading["y"], f"the menu is not under the heading on {path}"
            assert nav["x"] + nav["width"] <= content["x"], f"the page is not beside the menu on {path}"
            overflowing = page.evaluate(
                "[...document.querySelectorAll('nav.account-nav a')]"
                ".filter(a => a.scrollWidth > a.clientWidth).map(a => a.textContent)"
            )
            assert overflowing == [], f"menu entries stick out of the sidebar on {path}"
        page.screenshot(path=str(screenshot_dir / "account-nav-desktop.png"))
    finally:
        context.close()
