"""A new shop's warehouse has no files yet: the customer, fulfilment and inventory metrics
answer with zeros and nothing-to-show rather than errors, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.customers import age_bands, new_and_returning, sales_by_country
from shopstack.analytics.metrics.fulfilment import fulfilment
from shopstack.analytics.metrics.inventory import StockStatus, inventory
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.retention import cohort_retention
from shopstack.analytics.metrics.rfm import rfm_segments

PERIOD = Period(date(2026, 5, 1), date(2026, 5, 31), tz="Europe/London")


def test_every_metric_answers_on_an_empty_warehouse(engine_for, tmp_path):
    engine = engine_for(tmp_path)

    assert sales_by_country(engine, PERIOD) == []
    assert new_and_returning(engine, PERIOD).new_customer_share is None
    assert age_bands(engine, PERIOD) == []
    cohorts = cohort_retention(engine, PERIOD)
    assert [cohort.customers for cohort in cohorts] == [0] * 13
    assert rfm_segments(engine, PERIOD).customers == 0
    shipped = fulfilment(engine, PERIOD)
    assert (shipped.overall.orders, shipped.overall.paid.p50_seconds, shipped.by_carrier) == (0, None, {})
    stock = inventory(engine, PERIOD)
    assert (stock.status, stock.products) == (StockStatus(None, 0, 0, 0), ())
