"""Products on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.metrics.products import (
    product_table,
    products_best,
    products_viewed_not_bought,
    products_worst,
)
from shopstack.analytics.schema import AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events, write_rows

MAY_1 = Period(date(2026, 5, 1), date(2026, 5, 1))


def _event(when: str, session: str, kind: str, product: int, **fields) -> AnalyticsEvent:
    return AnalyticsEvent(
        kind=kind,
        occurred_at=at(when),
        visitor_id=f"v-{session}",
        session_id=session,
        product_id=product,
        **fields,
    )


def _view(when: str, session: str, product: int, **fields) -> AnalyticsEvent:
    return _event(when, session, "product_view", product, **fields)


def _add(when: str, session: str, product: int) -> AnalyticsEvent:
    return _event(when, session, "cart_add", product, quantity=1, value_minor=100)


def _line(line_id: int, order_id: int, product: int, quantity: int, total: int, **fields) -> dict:
    return {
        "line_id": line_id,
        "order_id": order_id,
        "product_id": product,
        "category_id": fields.pop("category_id", 5),
        "quantity": quantity,
        "total_minor": total,
        **fields,
    }


def _fixture(root) -> None:
    write_rows(root, "categories", [{"category_id": 5, "path": "/5/"}, {"category_id": 6, "path": "/6/"}])
    write_rows(
        root,
        "products",
        [
            {"product_id": 1, "name": "Mug", "category_id": 5, "is_published": True},
            {"product_id": 2, "name": "Teapot", "category_id": 5, "is_published": True},
            {"product_id": 3, "name": "Poster", "category_id": 6, "is_published": True},
            {"product_id": 4, "name": "Old lamp", "category_id": 6, "is_published": False},  # idle: left out
            {"product_id": 5, "name": "Scarf", "category_id": 6, "is_published": False},  # unlisted, sold
        ],
    )
    write_events(
        root,
        [
            _view("2026-05-01 09:00", "s1", 1),
            _view("2026-05-01 09:01", "s1", 1),
            _add("2026-05-01 09:02", "s1", 1),
            _view("2026-05-01 09:03", "s1", 2),
            _view("2026-05-01 10:00", "s2", 1),
            _add("2026-05-01 10:01", "s2", 1),
            _add("2026-05-01 10:02", "s2", 2),
            _view("2026-05-01 11:00", "s3", 1),
            # The poster: looked at often, never bought.
            _view("2026-05-01 12:00", "s4", 3),
            _view("2026-05-01 12:01", "s4", 3),
            _view("2026-05-01 13:00", "s5", 3),
            _view("2026-05-01 14:00", "s6", 3),
            _view("2026-05-01 15:00", "bot", 1, is_bot=True, device="bot"),
            _view("2026-05-02 09:00", "s7", 2),  # the next day
            _view("2026-04-30 23:30", "s8", 2),  # May 1st in London
        ],
    )
    paid = {"paid_at": at("2026-05-01 20:00")}
    write_rows(
        root,
        "orders",
        [
            {"order_id": 1, "placed_at": at("2026-05-01 09:30"), **paid},
            {"order_id": 2, "placed_at": at("2026-05-01 10:30"), **paid},
            {
                "order_id": 3,
                "placed_at": at("2026-05-01 11:30"),
                "cancelled_at": at("2026-05-01 12:00"),
                **paid,
            },
            {"order_id": 4, "placed_at": at("2026-05-01 16:00"), **paid},  # through the API: no visit
            {"order_id": 5, "placed_at": at("2026-04-30 10:00"), **paid},  # the day before
        ],
    )
    write_rows(
        root,
        "order_lines",
        [
            _line(1, 1, 1, 2, 2000, refunded_minor=1000, quantity_returned=1),
            _line(2, 1, 2, 1, 3000),
            _line(3, 2, 1, 1, 1000),
            _line(4, 3, 2, 5, 15000),  # cancelled: no revenue
            _line(5, 4, 5, 1, 500, category_id=6),
            _line(6, 4, 6, 1, 250, category_id=None, product_name="Gift card"),  # not in the dimension
            _line(7, 5, 1, 3, 3000),
        ],
    )


def _summary(rows) -> list[tuple]:
    return [
        (r.product_id, r.name, r.views, r.view_sessions, r.cart_sessions, r.units, r.revenue_minor, r.orders)
        for r in rows
    ]


def test_the_product_table_by_revenue(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    table = product_table(engine, MAY_1)

    # Revenue ties (Mug, Teapot: 3000 each) go by product id; the poster sold nothing.
    assert table.total == 5
    assert _summary(table.rows) == [
        (1, "Mug", 4, 3, 2, 3, 3000, 2),  # views: s1 twice, s2, s3; carts: s1, s2; orders 1, 2
        (2, "Teapot", 1, 1, 1, 1, 3000, 1),  # viewed in s1, added in s2; order 1 (3 is cancelled)
        (5, "Scarf", 0, 0, 0, 1, 500, 1),
        (6, "Gift card", 0, 0, 0, 1, 250, 1),
        (3, "Poster", 4, 3, 0, 0, 0, 0),
    ]
    mug = table.rows[0]
    assert (mug.add_to_cart_rate, mug.conversion) == (2 / 3, 2 / 3)
    assert (mug.refunded_minor, mug.net_revenue_minor, mug.refund_rate) == (1000, 2000, 1000 / 3000)
    assert (mug.units_returned, mug.return_rate) == (1, 1 / 3)
    assert table.rows[2].conversion is None  # never viewed


def test_sorting_paging_best_and_worst(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    by_conversion = product_table(engine, MAY_1, sort="conversion")
    page = product_table(engine, MAY_1, limit=2, offset=1)
    best = products_best(engine, MAY_1, limit=1)
    worst = products_worst(engine, MAY_1, limit=3)

    # Teapot 1/1, Mug 2/3, Poster 0/3; never viewed (no conversion) last.
    assert [r.product_id for r in by_conversion.rows] == [2, 1, 3, 5, 6]
    assert ([r.product_id for r in page.rows], page.total) == ([2, 5], 5)
    assert [r.product_id for r in best] == [1]
    assert [r.product_id for r in worst] == [3, 6, 5]


def test_viewed_often_rarely_bought(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    # Viewed 3+ times: Mug (4 views, 2 orders in 3 sessions) and Poster (4 views, none).
    assert [
        r.product_id
        for r in products_viewed_not_bought(engine, MAY_1, min_views=3, conversion_below=Fraction(1, 2))
    ] == [3]
    assert [
        r.product_id
        for r in products_viewed_not_bought(engine, MAY_1, min_views=3, conversion_below=Fraction(1))
    ] == [1, 3]


def test_a_category_the_shops_day_and_the_previous_period(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    in_category = product_table(engine, Period(MAY_1.start, MAY_1.end, filters=Filters(category_id=5)))
    london = product_table(engine, Period(MAY_1.start, MAY_1.end, tz="Europe/London"), sort="views")
    before = product_table(engine, MAY_1.previous())

    assert _summary(in_category.rows) == [(1, "Mug", 4, 3, 2, 3, 3000, 2), (2, "Teapot", 1, 1, 1, 1, 3000, 1)]
    # London's May 1st starts at 23:00 UTC on April 30th: s8's look at the teapot counts.
    assert [(r.product_id, r.views) for r in london.rows][:3] == [(1, 4), (3, 4), (2, 2)]
    # April 30th (UTC): order 5's three mugs; the listed products show with zeros.
    assert _summary(before.rows) == [
        (1, "Mug", 0, 0, 0, 3, 3000, 1),
        (2, "Teapot", 1, 1, 0, 0, 0, 0),
        (3, "Poster", 0, 0, 0, 0, 0, 0),
    ]


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"sort": "name; drop"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_table_arguments_are_refused_naming_the_field(arguments, field, tmp_path):
    from shopstack.analytics.engines.duckdb import DuckDBEngine

    with pytest.raises(ValueError, match=f"^{field}:"):
        product_table(DuckDBEngine(root=str(tmp_path)), MAY_1, **arguments)
