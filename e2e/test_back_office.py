"""The back office and the API docs in the browser, under the shop's Content-Security-Policy:
a staff member signs in with password and TOTP code and works on change pages; the API
docs draw Swagger UI. Any policy violation fails the test (e2e/conftest.py)."""

from __future__ import annotations

import pytest

from e2e.conftest import open_page
from shopstack.accounts.services import staff_ensure, totp_code
from shopstack.search.models import SearchQuery
from shopstack.testing.factories import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

EMAIL = "backoffice@example.com"
PASSWORD = "a-long-back-office-password-7"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def sign_in_to_admin(page, live_server) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=login]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.fill("input[name=code]", totp_code(secret=SECRET))
    page.press("input[name=code]", "Enter")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_staff_signs_in_with_a_code_and_edits_in_the_admin(browser, live_server):
    staff = staff_ensure(email=EMAIL, password=PASSWORD, totp_secret=SECRET)
    product = make_product(name="Blue enamel mug", price="12.00", stock=5)
    SearchQuery.objects.create(query="mug", normalized="mug", result_count=1)
    context, page, errors = open_page(browser, "desktop", timeout_ms=20_000)
    try:
        sign_in_to_admin(page, live_server)
        assert page.locator("#site-name").inner_text() == "Shopstack back office"

        # A change page with inlines and the admin's own scripts (collapsible fieldsets,
        # "add another" rows, date shortcuts).
        page.goto(f"{live_server.url}/admin/accounts/user/{staff.pk}/change/")
        page.locator("#user_form").wait_for()
        add_address = page.locator(".add-row a")
        add_address.click()
        page.locator("#addresses-0").wait_for()

        page.goto(f"{live_server.url}/admin/catalog/product/{product.pk}/change/")
        name = page.locator("input[name=name]")
        name.fill("Blue enamel mug, large")
        page.click("input[name=_save]")
        page.locator(".messagelist .success").wait_for()

        # The shop's own admin styles come from a stylesheet, not style attributes.
        page.goto(f"{live_server.url}/admin/search/searchquery/")
        report = page.locator(".search-report")
        assert report.evaluate("element => getComputedStyle(element).display") == "flex"
        assert errors == []
        assert browser.csp_violations == []
    finally:
        context.close()


def test_api_docs_draw_swagger_ui(browser, live_server):
    context, page, errors = open_page(browser, "desktop", timeout_ms=20_000)
    try:
        response = page.goto(f"{live_server.url}/api/v1/docs")
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.locator(".swagger-ui .info .title").wait_for()
        operations = page.locator(".opblock")
        operations.first.wait_for()
        assert operations.count() > 5
        # Opening an operation renders its parameters and schema (more of Swagger UI's code).
        operations.first.locator(".opblock-summary").click()
        operations.first.locator(".opblock-body").wait_for()
        assert errors == []
        assert browser.csp_violations == []
    finally:
        context.close()
