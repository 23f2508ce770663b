"""A customer's orders in the browser: sign in, the order history, an order with its lines,
totals and a shipment's tracking link; another customer's order is not there; and a guest
finds an order by number and email. At phone, tablet and desktop widths, no sideways
scrolling, no script errors."""

from __future__ import annotations

import pytest

from e2e.conftest import VIEWPORTS, open_page
from shopstack.testing.customer_orders import PASSWORD, make_customer, make_order, ship

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_customer_sees_own_orders_and_tracking(browser, live_server, screenshot_dir, viewport: str) -> None:
    ann = make_customer("ann@example.com")
    bob = make_customer("bob@example.com")
    shipped = make_order(customer=ann, number="SS-ANN0001", lines=[("Red mug", 2, "2.95")])
    ship(shipped, tracking_number="TRK777GB")
    make_order(customer=ann, number="SS-ANN0002", lines=[("Teapot", 1, "12.50")])
    make_order(customer=bob, number="SS-BOB0001")

    context, page, errors = open_page(browser, viewport, timeout_ms=30_000)
    try:
        page.goto(f"{live_server.url}/account/orders/")
        page.wait_for_url("**/accounts/login/**")  # signing in comes first
        page.fill("input[name=login]", "ann@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url("**/account/orders/")

        listed = page.locator("main").inner_text()
        assert "SS-ANN0001" in listed
        assert "SS-ANN0002" in listed
        assert "SS-BOB0001" not in listed
        assert no_sideways_scroll(page), "order list scrolls sideways"
        page.screenshot(path=str(screenshot_dir / f"orders-list-{viewport}.png"), full_page=True)

        page.click("a:text('SS-ANN0001')")
        page.wait_for_url("**/account/orders/SS-ANN0001/")
        detail = page.locator("main").inner_text()
        assert "Red mug" in detail
        assert "£9.85" in detail  # 2 x 2.95 + 3.95 shipping
        tracking = page.locator("a:text('TRK777GB')")
        assert tracking.get_attribute("href") == "https://track.example.com/TRK777GB"
        assert no_sideways_scroll(page), "order page scrolls sideways"
        page.screenshot(path=str(screenshot_dir / f"orders-detail-{viewport}.png"), full_page=True)

        # Bob's order number typed into the address bar: not found, nothing of it shown.
        response = page.goto(f"{live_server.url}/account/orders/SS-BOB0001/")
        assert response is not None
        assert response.status == 404
        assert "bob@example.com" not in page.content()
        assert errors == []
    finally:
        context.close()


def test_guest_finds_order_by_number_and_email(browser, live_server) -> None:
    make_order(number="SS-GUEST001", email="guest@example.com", lines=[("Teapot", 1, "12.50")])
    width, height = VIEWPORTS["tablet"]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/orders/lookup/")
        page.fill("input[name=number]", "SS-GUEST001")
        page.fill("input[name=email]", "someone-else@example.com")
        page.click("main form button[type=submit]")
        page.locator(".form-errors").wait_for()  # wrong email: refused, no order shown
        assert "Teapot" not in page.locator("main").inner_text()

        page.fill("input[name=email]", "guest@example.com")
        page.click("main form button[type=submit]")
        page.wait_for_url("**/orders/SS-GUEST001/")
        detail = page.locator("main").inner_text()
        assert "Teapot" in detail
        assert "£16.45" in detail  # 12.50 + 3.95 shipping
        assert no_sideways_scroll(page), "guest order page scrolls sideways"
    finally:
        context.close()
