"""A shopper on a phone buys a mug: product page -> add to cart -> checkout -> address ->
delivery -> the gateway's hosted card form (4242 4242 4242 4242) -> review -> place ->
the order page, which follows the payment until it is confirmed. The test gateway is
the real HTTP service on the live server; the tasks run at once (ImmediateBackend)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from e2e.conftest import VIEWPORTS
from shopstack.checkout.models import Checkout
from shopstack.orders.models import Order
from shopstack.testing.checkout import ensure_checkout_data
from shopstack.testing.factories import make_product
from shopstack.testing.orders import ORDER_APPS
from shopstack.testing.payments import TEST_CARDS, live_gateway  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)]


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_checkout_on_a_phone(browser, live_server, live_gateway, screenshot_dir) -> None:  # noqa: F811
    ensure_checkout_data()
    mug = make_product(name="Blue enamel mug", price="12.00", stock=5, code="MUG77")
    width, height = VIEWPORTS["phone"]
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/p/{mug.slug}/")
        page.click("#add-to-cart button[type=submit]")
        page.locator(".add-to-cart__added").wait_for()
        page.goto(f"{live_server.url}/cart/")
        page.click("#go-to-checkout")
        page.wait_for_url("**/checkout/*/")

        page.fill("#email", "phone@example.com")
        page.fill("#shipping-full_name", "Pat Phone")
        page.fill("#shipping-line1", "3 Market Street")
        page.fill("#shipping-city", "Leeds")
        page.fill("#shipping-postal_code", "LS1 1AA")
        page.fill("#shipping-country", "GB")
        assert no_sideways_scroll(page), "address page scrolls sideways"
        page.screenshot(path=str(screenshot_dir / "checkout-address-phone.png"), full_page=True)
        page.click("#address-continue")
        page.wait_for_url("**/shipping/")
        assert "£3.95" in page.locator(".shipping-option").first.inner_text()
        page.check("input[name=method_id] >> nth=0")
        page.click("#shipping-continue")
        page.wait_for_url("**/payment/")
        page.click("#pay-with-card")
        page.wait_for_url("**/_testgateway/pay/**")
        page.fill("#card_number", TEST_CARDS["success"])
        page.click("button[type=submit]")
        page.wait_for_url("**/review/")
        assert "ending 4242" in page.content()
        assert "£15.95" in page.locator("#checkout-total").inner_text()  # 12.00 + 3.95
        assert no_sideways_scroll(page), "review page scrolls sideways"
        page.screenshot(path=str(screenshot_dir / "checkout-review-phone.png"), full_page=True)
        page.click("#place-order")
        page.wait_for_url("**/checkout/orders/*/")
        order = Order.objects.get()
        assert order.number in page.locator("h1").inner_text()
        page.locator("#order-status[data-phase=confirmed]").wait_for()
        assert "Order confirmed" in page.locator("#order-status").inner_text()
        assert no_sideways_scroll(page), "order page scrolls sideways"
        page.screenshot(path=str(screenshot_dir / "checkout-order-phone.png"), full_page=True)
        assert Checkout.objects.get().status == Checkout.Status.PLACED
        assert Order.objects.get().total_amount == Decimal("15.95")
        assert "4242424242424242" not in str(Checkout.objects.values().get())
        assert errors == []
    finally:
        context.close()
