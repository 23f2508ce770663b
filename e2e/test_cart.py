"""A shopper on a phone adds a product to the cart from its (cached) product page; the
header's mini-cart count follows, and the cart page lists the line. Then the same
without JavaScript: the form posts, the browser lands on the cart page."""

from __future__ import annotations

import pytest

from e2e.conftest import VIEWPORTS
from shopstack.testing.factories import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def mug(db):
    return make_product(name="Blue enamel mug", price="2.95", stock=5, code="MUG01")


def page_has_no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_add_to_cart_on_a_phone_updates_the_mini_cart(browser, live_server, mug, screenshot_dir):
    width, height = VIEWPORTS["phone"]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        # Warm the page cache with another visitor, so this shopper is served the cached body.
        other = browser.new_context()
        assert other.new_page().goto(f"{live_server.url}/p/{mug.slug}/").status == 200
        other.close()

        response = page.goto(f"{live_server.url}/p/{mug.slug}/")
        assert response.status == 200
        assert response.headers["x-page-cache"] == "hit"
        mini = page.locator("#mini-cart .cart-count")
        mini.wait_for()
        assert mini.get_attribute("data-count") == "0"

        page.fill("#add-quantity", "2")
        page.click("#add-to-cart button[type=submit]")
        page.locator(".add-to-cart__added").wait_for()
        assert "Added 2" in page.locator(".add-to-cart__added").inner_text()
        assert page.locator("#mini-cart .cart-count").get_attribute("data-count") == "2"
        assert page.url.endswith(f"/p/{mug.slug}/")  # htmx: no navigation
        assert page_has_no_horizontal_scroll(page), "product page scrolls sideways"
        page.screenshot(path=str(screenshot_dir / "cart-added-phone.png"), full_page=True)

        # Too many: the reason shows beside the quantity, the count does not move.
        page.fill("#add-quantity", "9")
        page.click("#add-to-cart button[type=submit]")
        page.locator("#add-quantity-error").wait_for()
        assert "Only 5 left" in page.locator("#add-quantity-error").inner_text()
        assert page.locator("#mini-cart .cart-count").get_attribute("data-count") == "2"

        page.click("#mini-cart")
        page.wait_for_url(f"{live_server.url}/cart/")
        assert "Blue enamel mug" in page.locator(".cart-lines").inner_text()
        assert "£5.90" in page.locator(".cart-summary").inner_text()
        assert page_has_no_horizontal_scroll(page), "cart page scrolls sideways"

        # Change the quantity on the cart page (htmx swaps the cart and the header count).
        page.fill(".cart-line__quantity input[name=quantity]", "3")
        page.click(".cart-line__quantity button")
        page.locator(".cart-notice").wait_for()
        assert page.locator("#mini-cart .cart-count").get_attribute("data-count") == "3"
        assert "£8.85" in page.locator(".cart-summary").inner_text()
        page.screenshot(path=str(screenshot_dir / "cart-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_add_to_cart_works_without_javascript(browser, live_server, mug):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/{mug.slug}/")
        assert page.locator("#mini-cart").inner_text().strip() == "Cart"
        # The cached page's form asks by GET for a confirmation page that has a CSRF token.
        page.click("#add-to-cart button[type=submit]")
        page.wait_for_url(f"{live_server.url}/cart/add/?*")
        assert "to your cart?" in page.locator("main").inner_text()
        page.click("#add-to-cart button[type=submit]")
        page.wait_for_url(f"{live_server.url}/cart/")
        assert "Added 1" in page.locator(".messages").inner_text()
        assert "Blue enamel mug" in page.locator(".cart-lines").inner_text()
        page.click(".cart-line__remove button")
        page.wait_for_url(f"{live_server.url}/cart/")
        assert "Your cart is empty." in page.content()
    finally:
        context.close()
