"""Each /api/v1/analytics report on the hand-made week of analytics_shop.py: the numbers
worked out by hand from that fixture, money as decimal text in the shop's currency, rates
with four places, and the comparison period beside the current one."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from shopstack.analytics.metrics.rfm import SEGMENTS
from shopstack.analytics.simulate.marker import marker_write
from shopstack.api.analytics.shapes import Shaper, one_place, rate, whole
from shopstack.api.tests.analytics_shop import WEEK, make_user, write_shop

PREVIOUS = {"start": "2026-04-29", "end": "2026-05-03", "days": 5}
NO_FILTERS = {"country": None, "category": None, "channel": None, "device": None}


@pytest.fixture
def staff_client(client, db, settings, tmp_path: Path):
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path)
    settings.TIME_ZONE = "UTC"
    settings.SHOP_CURRENCY = "GBP"
    write_shop(tmp_path)
    client.force_login(make_user("analyst@example.com", staff=True, grant=True))
    return client


def report(client, name: str, **params) -> dict:
    response = client.get(f"/api/v1/analytics/{name}", {**WEEK, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_overview_with_the_comparison(staff_client):
    body = report(staff_client, "overview")
    assert body["range"] == "custom"
    assert body["compare"] == "previous"
    assert body["period"] == {"start": "2026-05-04", "end": "2026-05-08", "days": 5}
    assert body["previous_period"] == PREVIOUS
    assert body["filters"] == NO_FILTERS
    assert body["currency"] == "GBP"
    assert body["simulated"] is False
    now, before = body["current"], body["previous"]
    # s1, s2, s3: one page view each (product views are not pages), so all bounced.
    assert now["traffic"] == {
        "visitors": 3,
        "sessions": 3,
        "bounced_sessions": 3,
        "bounce_rate": "1.0000",
        "engaged_ms": 0,
        "time_per_session_ms": 0,
        "bot_events": 0,
    }
    assert (now["converted_sessions"], now["conversion_rate"]) == (1, "0.3333")
    assert now["returning_visitors"] == 1  # v1 was here on May 1st
    assert (now["orders"], now["revenue_orders"]) == (2, 2)
    # 25.00 + 12.34; 5.00 refunded; 37.34 / 2 = 18.67.
    assert (now["gross_revenue"], now["refunded"], now["net_revenue"]) == ("37.34", "5.00", "32.34")
    assert now["average_order_value"] == "18.67"
    assert (now["customers"], now["new_customers"], now["returning_customers"]) == (2, 1, 1)
    assert [
        (d["day"], d["sessions"], d["orders"], d["gross_revenue"], d["net_revenue"]) for d in now["days"]
    ] == [
        ("2026-05-04", 1, 1, "25.00", "20.00"),
        ("2026-05-05", 1, 0, "0.00", "0.00"),
        ("2026-05-06", 1, 1, "12.34", "12.34"),
        ("2026-05-07", 0, 0, "0.00", "0.00"),
        ("2026-05-08", 0, 0, "0.00", "0.00"),
    ]
    # The five days before: p1, and order 3.
    assert (before["traffic"]["sessions"], before["conversion_rate"]) == (1, "0.0000")
    assert (before["orders"], before["gross_revenue"], before["average_order_value"]) == (1, "9.00", "9.00")
    assert [day["day"] for day in before["days"]] == [
        f"2026-0{d}" for d in ("4-29", "4-30", "5-01", "5-02", "5-03")
    ]


def test_a_filter_and_no_comparison(staff_client):
    body = report(staff_client, "overview", country="fr", compare="none")
    assert body["filters"] == {**NO_FILTERS, "country": "FR"}
    assert (body["previous_period"], body["previous"]) == (None, None)
    assert (body["current"]["traffic"]["sessions"], body["current"]["orders"]) == (1, 1)
    assert body["current"]["gross_revenue"] == "12.34"


def test_a_year_earlier_comparison(staff_client):
    body = report(staff_client, "overview", compare="year")
    assert body["previous_period"] == {"start": "2025-05-04", "end": "2025-05-08", "days": 5}
    assert body["previous"]["orders"] == 0
    assert body["previous"]["average_order_value"] is None


def test_funnel(staff_client):
    body = report(staff_client, "funnel")
    steps = {step["name"]: step for step in body["current"]["steps"]}
    assert list(steps) == [
        "session",
        "product_view",
        "cart_add",
        "checkout_begin",
        "checkout_address",
        "checkout_shipping",
        "checkout_payment",
        "checkout_review",
        "order_placed",
        "paid",
    ]
    assert steps["session"] == {
        "name": "session",
        "sessions": 3,
        "abandoned": 0,
        "abandonment_rate": None,
        "share": "1.0000",
    }
    assert steps["product_view"]["sessions"] == 2
    assert (steps["product_view"]["abandoned"], steps["product_view"]["abandonment_rate"]) == (1, "0.3333")
    assert (steps["checkout_begin"]["sessions"], steps["checkout_begin"]["abandonment_rate"]) == (1, "0.5000")
    assert (steps["paid"]["sessions"], steps["paid"]["share"]) == (1, "0.3333")
    # s2 left the laptop stand in its cart.
    assert (body["current"]["abandoned_carts"], body["current"]["abandoned_cart_value"]) == (1, "12.34")
    previous = {step["name"]: step for step in body["previous"]["steps"]}
    assert (previous["session"]["sessions"], previous["product_view"]["sessions"]) == (1, 0)
    assert previous["cart_add"]["abandonment_rate"] is None  # nothing to divide by


def test_products(staff_client):
    body = report(staff_client, "products")
    assert body["previous_period"] is None  # the products report shows no comparison
    assert (body["sort"], body["direction"], body["limit"], body["offset"], body["total"]) == (
        "revenue",
        "desc",
        20,
        0,
        2,
    )
    mug, stand = body["items"]
    assert mug == {
        "product_id": 1,
        "name": "Blue mug",
        "views": 1,
        "view_sessions": 1,
        "cart_sessions": 1,
        "add_to_cart_rate": "1.0000",
        "units": 2,
        "orders": 1,
        "conversion": "1.0000",
        "revenue": "21.00",
        "refunded": "5.00",
        "net_revenue": "16.00",
        "refund_rate": "0.2381",  # 500 / 2100
        "units_returned": 0,
        "return_rate": "0.0000",
    }
    assert (stand["product_id"], stand["revenue"], stand["refund_rate"]) == (2, "12.34", "0.0000")
    assert [row["product_id"] for row in body["best"]] == [1, 2]
    assert [row["product_id"] for row in body["worst"]] == [2, 1]
    assert body["viewed_not_bought"] == []
    assert (body["viewed_not_bought_min_views"], body["viewed_not_bought_below"]) == (100, "0.0100")


def test_products_sorted_and_paged(staff_client):
    body = report(staff_client, "products", sort="units", direction="asc", limit="1", offset="1")
    assert (body["sort"], body["direction"], body["limit"], body["offset"], body["total"]) == (
        "units",
        "asc",
        1,
        1,
        2,
    )
    assert [row["product_id"] for row in body["items"]] == [1]  # 1 unit of the stand, then 2 mugs


def test_search(staff_client):
    body = report(staff_client, "search")
    now = body["current"]
    assert (now["searches"], now["search_sessions"], now["clicks"], now["click_through"]) == (
        2,
        2,
        1,
        "0.5000",
    )
    assert (now["zero_result_searches"], now["zero_result_rate"]) == (1, "0.5000")
    assert (now["converted_search_sessions"], now["conversion_rate"]) == (1, "0.5000")
    assert now["top_queries"] == [
        {
            "query": "blue mug",  # "Blue  Mug " normalised
            "searches": 1,
            "sessions": 1,
            "zero_result_searches": 0,
            "clicks": 1,
            "click_through": "1.0000",
        },
        {
            "query": "laptop",
            "searches": 1,
            "sessions": 1,
            "zero_result_searches": 1,
            "clicks": 0,
            "click_through": "0.0000",
        },
    ]
    assert [query["query"] for query in now["zero_result_queries"]] == ["laptop"]
    assert body["previous"]["searches"] == 0
    assert body["previous"]["click_through"] is None


def test_campaigns(staff_client):
    body = report(staff_client, "campaigns")
    newsletter = {"origin": "campaign", "source": "newsletter", "medium": "email", "campaign": "may"}
    direct = {"origin": "direct", "source": "", "medium": "", "campaign": ""}
    now = body["current"]
    assert [
        (row["source"], row["sessions"], row["orders"], row["gross_revenue"]) for row in now["by_session"]
    ] == [
        (newsletter, 1, 1, "25.00"),
        ({"origin": "search", "source": "google.com", "medium": "", "campaign": ""}, 1, 0, "0.00"),
        ({"origin": "social", "source": "facebook.com", "medium": "", "campaign": ""}, 1, 0, "0.00"),
    ]
    assert now["by_session"][0]["conversion_rate"] == "1.0000"
    assert now["attributed"] == [
        {
            "source": newsletter,
            "orders": 1,
            "gross_revenue": "25.00",
            "refunded": "5.00",
            "net_revenue": "20.00",
            "cost": "10.00",
            "cost_per_order": "10.00",
            "return_on_ad_spend": "2.5000",  # 25.00 / 10.00
        },
        {
            # Order 2 came from the app with no tracked visit.
            "source": direct,
            "orders": 1,
            "gross_revenue": "12.34",
            "refunded": "0.00",
            "net_revenue": "12.34",
            "cost": "0.00",
            "cost_per_order": None,
            "return_on_ad_spend": None,
        },
    ]
    assert [
        (row["source"], row["orders"], row["gross_revenue"]) for row in body["previous"]["attributed"]
    ] == [(direct, 1, "9.00")]


def test_customers(staff_client):
    body = report(staff_client, "customers")
    assert body["previous_period"] == PREVIOUS
    assert [
        (row["country"], row["sessions"], row["orders"], row["revenue"]) for row in body["countries"]
    ] == [
        ("GB", 1, 1, "25.00"),
        ("FR", 1, 1, "12.34"),
        ("unknown", 1, 0, "0.00"),  # s3
    ]
    assert body["countries"][2]["average_order_value"] is None
    now, before = body["new_and_returning"]["current"], body["new_and_returning"]["previous"]
    assert now["new"] == {"customers": 1, "orders": 1, "revenue": "12.34", "average_order_value": "12.34"}
    assert now["returning"] == {
        "customers": 1,
        "orders": 1,
        "revenue": "25.00",
        "average_order_value": "25.00",
    }
    assert now["guests"] == {"customers": 0, "orders": 0, "revenue": "0.00", "average_order_value": None}
    assert now["new_customer_share"] == "0.5000"
    assert (before["new"]["customers"], before["new"]["revenue"], before["new_customer_share"]) == (
        1,
        "9.00",
        "1.0000",
    )
    cohorts = {cohort["month"]: cohort for cohort in body["retention"]}
    assert len(cohorts) == 13
    assert min(cohorts) == "2025-05-01"
    # Customer 10 first ordered in April and again in May; 11 first in May.
    assert cohorts["2026-04-01"]["customers"] == 1
    assert (cohorts["2026-04-01"]["returned"][:2], cohorts["2026-04-01"]["retention"][:2]) == (
        [1, None],
        ["1.0000", None],
    )
    assert cohorts["2026-05-01"]["customers"] == 1
    assert cohorts["2026-05-01"]["returned"] == [None] * 12
    # Two customers scored in quintiles (NTILE(5)) get the scores 1 and 2 whatever they did:
    # both land in Hibernating, with all three of their orders (order 3 included).
    assert body["rfm"]["customers"] == 2
    assert [segment["name"] for segment in body["rfm"]["segments"]] == list(SEGMENTS)
    assert body["rfm"]["segments"][-1] == {
        "name": "Hibernating",
        "customers": 2,
        "share": "1.0000",
        "orders": 3,
        "revenue": "46.34",
        "average_revenue": "23.17",
    }
    assert body["rfm"]["segments"][0]["average_revenue"] is None
    assert body["age_bands"] == [
        {
            "age_band": "unknown",
            "customers": 2,
            "orders": 2,
            "revenue": "37.34",
            "average_order_value": "18.67",
            "signed_in_sessions": 1,  # s1, where customer 10 was signed in
            "converted_sessions": 1,
            "conversion_rate": "1.0000",
        }
    ]


def test_fulfilment(staff_client):
    body = report(staff_client, "fulfilment")
    overall = body["current"]["overall"]
    assert overall == {
        "key": "overall",
        "orders": 2,
        "shipping_charged": "13.95",  # 4.00 + 9.95
        "paid": {"orders": 2, "p50_seconds": 60, "p95_seconds": 120},
        "shipped": {"orders": 1, "p50_seconds": 86_400, "p95_seconds": 86_400},
        "delivered": {"orders": 1, "p50_seconds": 172_800, "p95_seconds": 172_800},
        "promised": 2,
        "late_shipments": 0,
        # Order 2 (Express, one working day) placed Wednesday, unshipped by Friday.
        "overdue_unshipped": 1,
        "late_shipment_rate": "0.5000",
        "late_deliveries": 0,
    }
    carriers = {group["key"]: group for group in body["current"]["by_carrier"]}
    assert set(carriers) == {"Royal Mail", "unknown"}
    assert carriers["unknown"]["late_shipment_rate"] == "1.0000"
    assert [group["key"] for group in body["current"]["by_shipping_method"]] == ["Express", "Standard"]
    assert [(group["key"], group["orders"]) for group in body["current"]["by_warehouse"]] == [("Main", 2)]
    previous = body["previous"]["overall"]
    # Order 3: placed April 30th 15:00, shipped May 1st 10:00 (19 h), delivered May 2nd 10:00 (43 h).
    assert (previous["orders"], previous["shipped"]["p50_seconds"], previous["delivered"]["p50_seconds"]) == (
        1,
        19 * 3600,
        43 * 3600,
    )


def test_inventory(staff_client):
    body = report(staff_client, "inventory")
    assert body["previous_period"] is None
    assert body["status"] == {
        "snapshot_day": "2026-05-08",
        "low_stock_units": 5,
        "in_stock": 1,
        "low": 1,
        "out_of_stock": 0,
    }
    mug, stand = body["products"]
    assert mug == {
        "product_id": 1,
        "name": "Blue mug",
        "price": "10.50",
        "available": 10,
        "units_sold_recently": 3,  # 2 on May 4th, 1 on April 30th
        "cover_days": "93.3",  # 10 x 28 / 3
        "snapshot_days": 2,
        "out_of_stock_days": 0,
        "units_sold_in_stock": 0,
        "lost_units": "0.0",
        "lost_sales": "0.00",
    }
    assert (stand["available"], stand["cover_days"], stand["out_of_stock_days"]) == (3, "84.0", 1)


@pytest.mark.parametrize(
    ("days", "params", "funnel", "inventory"),
    [
        (["2026-05-06"], {}, True, True),
        # Only in the comparison period, which the inventory report does not show.
        (["2026-05-01"], {}, True, False),
        (["2026-05-01"], {"compare": "none"}, False, False),
        (["2026-01-01"], {}, False, False),
    ],
)
def test_answers_say_whether_they_cover_simulated_days(
    staff_client, settings, days, params, funnel, inventory
):
    marker_write(
        settings.ANALYTICS_WAREHOUSE_ROOT,
        {"simulated_days": days, "first_day": days[0], "last_day": days[-1], "complete": True},
    )
    assert report(staff_client, "funnel", **params)["simulated"] is funnel
    assert report(staff_client, "inventory", **params)["simulated"] is inventory


# Writing numbers out ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "minor", "text"),
    [
        ("GBP", 123450, "1234.50"),
        ("GBP", 0, "0.00"),
        ("GBP", -250, "-2.50"),
        ("GBP", 1234.5, "12.35"),  # an average of pence, rounded half up
        ("GBP", 8500 / 3, "28.33"),
        ("JPY", 1234, "1234"),
        ("KWD", 1234, "1.234"),
    ],
)
def test_money_is_decimal_text_in_the_currencys_minor_units(currency, minor, text):
    assert Shaper(currency=currency).amount(minor) == text


def test_rates_have_four_places_rounded_half_up_as_the_decimal_they_stand_for():
    assert rate(2 / 5) == "0.4000"
    assert rate(1 / 3) == "0.3333"
    assert rate(3 / 20000) == "0.0002"  # 0.00015 as written, though its float is 0.000149999...
    assert rate(Fraction(1, 100)) == "0.0100"
    assert rate(2.5) == "2.5000"
    assert rate(None) is None
    assert (one_place(280 / 3), whole(2.5), whole(None)) == ("93.3", 3, None)
