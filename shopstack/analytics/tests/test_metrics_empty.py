"""Every metric answers on a warehouse compaction has not written yet: zeros, not errors."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.campaigns import campaigns
from shopstack.analytics.metrics.funnel import funnel
from shopstack.analytics.metrics.overview import overview
from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.metrics.products import product_table, products_viewed_not_bought
from shopstack.analytics.metrics.search import search


def test_every_metric_answers_on_an_empty_warehouse(engine_for, tmp_path):
    engine = engine_for(tmp_path)
    period = Period(date(2026, 5, 1), date(2026, 5, 3), tz="Europe/London", filters=Filters(category_id=5))

    summary = overview(engine, period)
    steps = funnel(engine, period)
    table = product_table(engine, period)
    queries = search(engine, period)
    sources = campaigns(engine, period, attribution_days=30)

    assert (summary.traffic.sessions, summary.orders, summary.gross_minor, summary.customers) == (0, 0, 0, 0)
    assert (summary.conversion_rate, summary.average_order_minor) == (None, None)
    assert [(day.day, day.sessions, day.orders) for day in summary.days] == [
        (date(2026, 5, 1), 0, 0),
        (date(2026, 5, 2), 0, 0),
        (date(2026, 5, 3), 0, 0),
    ]
    assert {step.sessions for step in steps.steps} == {0}
    assert (steps.abandoned_carts, steps.abandoned_cart_minor, steps.share("paid")) == (0, 0, None)
    assert (table.rows, table.total) == ((), 0)
    assert products_viewed_not_bought(engine, period, min_views=1) == ()
    assert (queries.searches, queries.top_queries, queries.conversion_rate) == (0, (), None)
    assert (sources.by_session, sources.attributed) == ((), ())
