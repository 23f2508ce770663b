"""The staff dashboards under /admin/analytics/: who may open them, the numbers each page
shows from a small hand-made warehouse beside its comparison period, refused parameters,
the CSV exports, compact now, and the page's security headers."""

from __future__ import annotations

import csv
import html as markup
import io
import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.contrib.auth.models import Permission
from django.urls import reverse

from shopstack.accounts.models import User
from shopstack.analytics.dashboard.display import MISSING, change_of, duration_text, money_text, rate_text
from shopstack.analytics.store import event_store
from shopstack.analytics.tests.dashboard_fixtures import MAY, shop_event, small_shop
from shopstack.analytics.tests.warehouse_fixtures import at, write_rows
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.state import state_read
from shopstack.catalog.models import Category

pytestmark = pytest.mark.django_db

PAGES = ("overview", "funnel", "products", "search", "campaigns", "customers", "fulfilment", "inventory")


@pytest.fixture
def shop(tmp_path, settings):
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path)
    settings.TIME_ZONE = "UTC"
    small_shop(tmp_path)
    return tmp_path


@pytest.fixture
def empty_warehouse(tmp_path, settings):
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path)
    return tmp_path


def _staff(email: str, *, permission: bool = False, superuser: bool = False) -> User:
    user = User.objects.create_user(email, "a-long-enough-password-1", is_staff=True, is_superuser=superuser)
    # Staff sign in with a second factor; the tests sign in with force_login, the code is for the rule.
    Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")}
    )
    if permission:
        user.user_permissions.add(Permission.objects.get(codename="view_analytics"))
    return user


@pytest.fixture
def analyst(client):
    client.force_login(_staff("analyst@example.com", permission=True))
    return client


def _page(client, page: str, **params: str):
    return client.get(reverse("dashboards:page", args=[page]), params)


def _text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", html)))


# --- who may open them ------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_admin_sign_in(client, empty_warehouse):
    response = _page(client, "overview")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_staff_without_the_permission_are_refused(client, empty_warehouse):
    client.force_login(_staff("clerk@example.com"))
    for page in PAGES:
        assert _page(client, page).status_code == 403
    assert client.get(reverse("dashboards:export", args=["overview", "days"])).status_code == 403
    assert client.post(reverse("dashboards:compact")).status_code == 403


def test_the_permission_or_a_superuser_opens_every_page(client, empty_warehouse):
    client.force_login(_staff("analyst@example.com", permission=True))
    assert all(_page(client, page).status_code == 200 for page in PAGES)
    client.force_login(_staff("owner@example.com", superuser=True))
    assert _page(client, "overview").status_code == 200


def test_the_admin_index_lists_the_dashboards_for_those_who_may_open_them(client, empty_warehouse):
    client.force_login(_staff("clerk@example.com"))
    assert reverse("dashboards:index") not in client.get(reverse("admin:index")).content.decode()
    client.force_login(_staff("analyst@example.com", permission=True))
    index = client.get(reverse("admin:index")).content.decode()
    entry = reverse("admin:analytics_analyticsaccess_changelist")
    assert entry in index
    assert client.get(entry)["Location"] == reverse("dashboards:page", args=["overview"])


# --- the numbers ---------------------------------------------------------------------------------


def test_the_overview_shows_the_period_beside_the_one_before(analyst, shop):
    response = _page(analyst, "overview", **MAY)
    assert response.status_code == 200
    text = _text(response)
    assert f"1 May 2026 {MISSING} 2 May 2026, compared with 29 Apr 2026 {MISSING} 30 Apr 2026" in text
    assert "Gross revenue £25.00 ▲ +150% (up 150%, from £10.00) vs £10.00" in text
    assert "Sessions 2 ▲ +100%" in text
    assert "Conversion rate 50.0%" in text
    # The daily table under the chart, and the chart's data for the static script.
    assert "2026-05-01 1 1 £25.00 £25.00" in text
    assert 'id="chart-days" type="application/json"' in response.content.decode()


def test_the_overview_splits_by_device_and_channel_apart_from_the_page(analyst, shop):
    page = _page(analyst, "overview", **MAY).content.decode()
    part = reverse("dashboards:part", args=["overview", "devices"])
    assert f'data-part="{part}?' in page
    response = analyst.get(part, MAY)
    text = _text(response)
    assert "Phone 1 100.0% 1 £25.00" in text
    assert "Desktop 1 0% 0 £0.00" in text
    # A device row narrows every page by it.
    assert 'href="/admin/analytics/overview/?range=custom&amp;compare=previous&amp;device=phone' in (
        response.content.decode().replace("start=2026-05-01&amp;end=2026-05-02&amp;", "")
    )


def test_the_funnel_counts_each_step_of_the_one_buying_visit(analyst, shop):
    text = _text(_page(analyst, "funnel", **MAY))
    assert f"Visited 2 100.0% {MISSING} {MISSING} 1" in text
    assert "Viewed a product 1 50.0% 1 50.0% 0" in text
    assert "Reached checkout 1 50.0% 0 0%" in text
    assert "Paid 1 50.0% 0 0%" in text


def test_the_products_page_links_each_product_to_its_admin_page(analyst, shop):
    response = _page(analyst, "products", **MAY)
    html = response.content.decode()
    assert reverse("admin:catalog_product_change", args=[1]) in html
    assert "Blue mug 1 100.0% 1 1 £21.00 £21.00 100.0% 0% 0%" in _text(response)


def test_the_search_page_lists_queries_and_those_that_found_nothing(analyst, shop):
    text = _text(_page(analyst, "search", **MAY))
    assert "Searches 2" in text
    assert "blue mug 1 1 0 1 100.0%" in text
    assert "teapot 1 1 1 0 0%" in text


def test_the_campaigns_page_credits_the_newsletter(analyst, shop):
    text = _text(_page(analyst, "campaigns", **MAY))
    assert "newsletter / email / may Campaign 1 1 £25.00 100.0%" in text
    assert "Direct Direct 1 0 £0.00 0%" in text


def test_the_customers_page_narrows_by_a_country_row(analyst, shop):
    response = _page(analyst, "customers", **MAY)
    text = _text(response)
    assert "United Kingdom 1 1 £25.00 £25.00" in text
    assert "country=GB" in response.content.decode()
    narrowed = _page(analyst, "customers", **MAY, country="FR")
    assert "Country: France" in _text(narrowed)


def test_the_fulfilment_page_writes_durations_for_people(analyst, shop):
    text = _text(_page(analyst, "fulfilment", **MAY))
    assert "Time to ship (median) 1 d" in text
    assert "Royal Mail 1 1 d 1 d 3 d 2 h 0 0 0% 0 £3.99" in text


def test_the_inventory_page_counts_low_and_out_of_stock_variants(analyst, shop):
    text = _text(_page(analyst, "inventory", **MAY))
    assert "Low on stock 1" in text
    assert "Out of stock 1" in text
    # The teapot was out on every snapshot day: no rate of sale to estimate from, so no £0.00.
    assert f"Lost sales (estimate) {MISSING}" in text


def test_an_empty_warehouse_says_so_instead_of_drawing_zeros(analyst, empty_warehouse):
    for page in PAGES:
        response = _page(analyst, page)
        assert "No data for this period yet" in _text(response), page
        assert "<canvas" not in response.content.decode()


def test_simulated_days_carry_a_banner(analyst, shop):
    (shop / "SIMULATED.json").write_text(
        '{"first_day": "2026-04-01", "last_day": "2026-05-01", "simulated_days": [], "notice": "made up"}'
    )
    assert "Demo data." in _text(_page(analyst, "overview", **MAY))
    later = {"start": "2026-06-10", "end": "2026-06-11", "compare": "none"}
    assert "Demo data." not in _text(_page(analyst, "overview", **later))


# --- parameters refused ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"range": "forever"}, "range", "Must be one of"),
        ({"start": "2026-05-01"}, "end", "Required with a custom range"),
        ({"start": "1 May", "end": "2026-05-02"}, "start", "Must be a date written YYYY-MM-DD."),
        ({"compare": "last_week"}, "compare", "Must be one of"),
        ({"country": "XX"}, "country", "Must be a country's two-letter ISO code, such as GB."),
        ({"device": "toaster"}, "device", "Must be one of"),
        ({"category": "999999"}, "category", "No category has this id."),
    ],
)
def test_bad_parameters_are_refused_by_field_with_no_report_in_their_place(
    analyst, shop, params, field, message
):
    response = _page(analyst, "overview", **params)
    assert response.status_code == 400
    text = _text(response)
    assert f"{field} : {message}" in text
    assert "Gross revenue" not in text


def test_bad_table_options_are_refused_by_field(analyst, shop):
    response = _page(analyst, "products", sort="price", limit="9999")
    assert response.status_code == 400
    text = _text(response)
    assert "sort : Must be one of" in text
    assert "limit : Must be from 1 to 500." in text


# --- exports ------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_a_table_exports_as_csv_for_the_same_question(analyst, shop):
    response = analyst.get(reverse("dashboards:export", args=["overview", "days"]), MAY)
    assert response.status_code == 200
    assert "overview-days-2026-05-01-2026-05-02.csv" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Day", "Sessions", "Orders", "Gross revenue (GBP)", "Net revenue (GBP)"]
    assert rows[1:] == [["2026-05-01", "1", "1", "25.00", "25.00"], ["2026-05-02", "1", "0", "0.00", "0.00"]]


def test_rates_export_as_percentages_and_parts_export_too(analyst, shop):
    rows = _csv(analyst.get(reverse("dashboards:export", args=["funnel", "steps"]), MAY))
    assert rows[1][:3] == ["Visited", "2", "100.0"]
    devices = _csv(analyst.get(reverse("dashboards:export", args=["overview", "devices"]), MAY))
    assert devices[1][:2] == ["Phone", "1"]


def test_an_export_of_bad_parameters_or_no_such_table_is_refused(analyst, shop):
    refused = analyst.get(reverse("dashboards:export", args=["overview", "days"]), {"country": "XX"})
    assert refused.status_code == 400
    assert b"country" in refused.content
    assert analyst.get(reverse("dashboards:export", args=["overview", "nothing"]), MAY).status_code == 404


# --- compact now -----------------------------------------------------------------------------------


def test_compact_now_queues_the_compaction_and_comes_back(analyst, shop):
    event_store().clear()
    event_store().append([shop_event("2026-05-02 16:00", "s9")])
    assert event_store().count() == 1
    back = reverse("dashboards:page", args=["search"]) + "?range=last_7_days"
    response = analyst.post(reverse("dashboards:compact"), {"next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    # The test settings run tasks at once: the event is in the warehouse now.
    assert event_store().count() == 0
    assert state_read(warehouse()).events_compacted_at is not None
    page = analyst.get(back)
    assert "Compaction queued" in _text(page)
    assert "0 events waiting" in _text(page)


def test_compact_now_takes_no_get_and_no_address_elsewhere(analyst, empty_warehouse):
    assert analyst.get(reverse("dashboards:compact")).status_code == 405
    response = analyst.post(reverse("dashboards:compact"), {"next": "https://elsewhere.example/"})
    assert response["Location"] == reverse("dashboards:page", args=["overview"])


# --- the page itself --------------------------------------------------------------------------------


def test_pages_carry_the_content_security_policy_and_no_inline_script_or_style(analyst, shop):
    for page in PAGES:
        response = _page(analyst, page, **MAY)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, tag
        assert " style=" not in html
        assert "<style" not in html
        assert "onclick=" not in html


# --- how numbers are written ---------------------------------------------------------------------


def test_numbers_are_written_for_people():
    assert money_text(123456) == "£1,234.56"
    assert rate_text(0.0234) == "2.34%"
    assert rate_text(0.5) == "50.0%"
    assert duration_text(2 * 86400 + 4 * 3600 + 59) == "2 d 4 h"
    assert duration_text(3 * 3600 + 12 * 60) == "3 h 12 min"
    assert duration_text(42) == "42 s"


def test_a_change_is_good_or_bad_by_what_the_number_means():
    assert change_of(120, 100, "up").tone == "good"
    assert change_of(0.6, 0.5, "down").tone == "bad"
    assert change_of(5, 0, "up").text == "new"
    assert change_of(None, 100, "up") is None


def test_a_category_row_narrows_every_page_by_it(analyst, shop):
    kitchen = Category.objects.create(name="Kitchen", slug="kitchen", is_published=True)
    write_rows(
        shop,
        "categories",
        [
            {
                "category_id": kitchen.pk,
                "name": "Kitchen",
                "path": f"/{kitchen.pk}/",
                "top_category_id": kitchen.pk,
            }
        ],
    )
    write_rows(
        shop,
        "products",
        [
            {
                "product_id": 1,
                "name": "Blue mug",
                "category_id": kitchen.pk,
                "price_minor": 2100,
                "is_published": True,
            }
        ],
    )
    write_rows(
        shop,
        "order_lines",
        [
            {
                "line_id": 1,
                "order_id": 1,
                "product_id": 1,
                "category_id": kitchen.pk,
                "quantity": 1,
                "total_minor": 2100,
            }
        ],
    )
    part = analyst.get(reverse("dashboards:part", args=["overview", "categories"]), MAY)
    assert "Kitchen 1 100.0% 1 £25.00" in _text(part)
    assert f"category={kitchen.pk}" in part.content.decode()
    narrowed = _text(_page(analyst, "overview", **MAY, category=str(kitchen.pk)))
    assert "Category: Kitchen" in narrowed
    assert "Sessions 1" in narrowed


def test_a_segment_row_lists_its_customers(analyst, shop):
    response = _page(analyst, "customers", **MAY)
    # Two customers of one order each score R 1 and 2: both are hibernating.
    assert "segment=Hibernating" in response.content.decode()
    listed = _page(analyst, "customers", **MAY, segment="Hibernating")
    text = _text(listed)
    assert "Customers in Hibernating" in text
    assert "2 of 2" in text
    assert reverse("admin:accounts_user_change", args=[10]) in listed.content.decode()
    refused = _page(analyst, "customers", **MAY, segment="Whales")
    assert refused.status_code == 400
    assert "segment : Must be one of" in _text(refused)


def test_late_orders_open_their_admin_page(analyst, shop):
    write_rows(
        shop,
        "orders",
        [
            {
                "order_id": 5,
                "status": "paid",
                "kind": "order",
                "channel": "web",
                "placed_at": at("2026-05-01 09:00"),
                "paid_at": at("2026-05-01 09:01"),
                "total_minor": 900,
                "shipping_method_id": 1,
                "carrier": "Royal Mail",
            }
        ],
    )
    response = _page(analyst, "fulfilment", end="2026-05-20", start="2026-05-01")
    assert "Order 5" in _text(response)
    assert "not shipped" in _text(response)
    assert reverse("admin:orders_order_change", args=[5]) in response.content.decode()
