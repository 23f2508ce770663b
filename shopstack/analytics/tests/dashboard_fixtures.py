"""A small hand-made shop warehouse for the dashboard tests and the browser test: two days
with a buying visit and a searching one, compared with the two days before."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events, write_rows

# Two days, compared with the two before them.
MAY = {"start": "2026-05-01", "end": "2026-05-02"}


def shop_event(when: str, session: str, kind: str = "page_view", **fields) -> AnalyticsEvent:
    fields.setdefault("visitor_id", f"visitor-{session}")
    fields.setdefault("device", "phone")
    fields.setdefault("country", "GB")
    fields.setdefault("consent", True)
    return AnalyticsEvent(kind=kind, occurred_at=at(when), session_id=session, **fields)


def small_shop(root) -> None:
    """May 1st-2nd: a phone visit from a newsletter that searches, buys a mug (order 1,
    £25.00) and pays; a desktop visit from France whose search finds nothing. April 29th-30th:
    one visit and one order of £10.00."""
    write_events(
        root,
        [
            shop_event(
                "2026-05-01 10:00", "s1", utm_source="newsletter", utm_medium="email", utm_campaign="may"
            ),
            shop_event("2026-05-01 10:01", "s1", "search", search_query="Blue  Mug", result_count=3),
            shop_event(
                "2026-05-01 10:02", "s1", "search_click", search_query="blue mug", product_id=1, position=1
            ),
            shop_event("2026-05-01 10:02", "s1"),
            shop_event("2026-05-01 10:03", "s1", "product_view", product_id=1),
            shop_event("2026-05-01 10:04", "s1", "cart_add", product_id=1, quantity=1, value_minor=2100),
            *(
                shop_event(f"2026-05-01 10:{10 + index}", "s1", "checkout_step", checkout_step=step)
                for index, step in enumerate(("begin", "address", "shipping", "payment", "review"))
            ),
            shop_event("2026-05-01 10:30", "s1", "order_placed", order_id=1, value_minor=2500),
            shop_event("2026-05-02 15:00", "s2", device="desktop", country="FR"),
            shop_event(
                "2026-05-02 15:01", "s2", "search", search_query="teapot", result_count=0, device="desktop"
            ),
            shop_event("2026-04-30 09:00", "s0", device="desktop"),
        ],
    )
    paid = {"status": "paid", "currency": "GBP", "kind": "order", "channel": "web", "country": "GB"}
    write_rows(
        root,
        "orders",
        [
            {
                **paid,
                "order_id": 1,
                "customer_id": 10,
                "placed_at": at("2026-05-01 10:30"),
                "paid_at": at("2026-05-01 10:31"),
                "shipped_at": at("2026-05-02 10:30"),
                "delivered_at": at("2026-05-04 12:30"),
                "total_minor": 2500,
                "shipping_minor": 399,
                "refunded_minor": 0,
                "shipping_method_id": 1,
                "shipping_method": "Standard",
                "shipping_zone": "UK",
                "carrier": "Royal Mail",
                "warehouse_id": 1,
                "units": 1,
            },
            {
                **paid,
                "order_id": 2,
                "customer_id": 11,
                "placed_at": at("2026-04-30 09:10"),
                "paid_at": at("2026-04-30 09:11"),
                "total_minor": 1000,
                "refunded_minor": 0,
                "units": 1,
            },
        ],
    )
    write_rows(
        root,
        "order_lines",
        [
            {
                "line_id": 1,
                "order_id": 1,
                "placed_at": at("2026-05-01 10:30"),
                "product_id": 1,
                "variant_id": 1,
                "product_name": "Blue mug",
                "quantity": 1,
                "unit_price_minor": 2100,
                "total_minor": 2100,
                "refunded_minor": 0,
                "quantity_returned": 0,
            }
        ],
    )
    write_rows(
        root,
        "products",
        [
            {
                "product_id": 1,
                "name": "Blue mug",
                "price_minor": 2100,
                "currency": "GBP",
                "is_published": True,
            },
            {"product_id": 2, "name": "Teapot", "price_minor": 3000, "currency": "GBP", "is_published": True},
        ],
    )
    write_rows(
        root, "customers", [{"customer_id": 10, "country": "GB"}, {"customer_id": 11, "country": "GB"}]
    )
    write_rows(
        root, "shipping_methods", [{"shipping_method_id": 1, "name": "Standard", "zone": "UK", "max_days": 3}]
    )
    write_rows(root, "warehouses", [{"warehouse_id": 1, "name": "Main"}])
    write_rows(
        root,
        "stock_levels",
        [
            {"day": date(2026, 5, 2), "variant_id": 1, "product_id": 1, "warehouse_id": 1, "quantity": 3},
            {"day": date(2026, 5, 2), "variant_id": 2, "product_id": 2, "warehouse_id": 1, "quantity": 0},
        ],
    )
