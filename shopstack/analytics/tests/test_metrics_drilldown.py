"""The lists behind a number: an RFM segment's customers and the late orders, on every
engine, on the same fixtures as the numbers they open."""

from __future__ import annotations

import pytest

from shopstack.analytics.metrics.drilldown import late_orders, segment_customers
from shopstack.analytics.metrics.fulfilment import fulfilment
from shopstack.analytics.metrics.rfm import SEGMENTS, rfm_segments
from shopstack.analytics.tests import test_metrics_fulfilment as fulfilment_fixture
from shopstack.analytics.tests import test_metrics_rfm as rfm_fixture


def test_a_segments_customers_are_those_it_counts_highest_revenue_first(engine_for, tmp_path):
    rfm_fixture._fixture(tmp_path)
    engine = engine_for(tmp_path)

    at_risk = segment_customers(engine, rfm_fixture.MAY, "At risk")

    assert [c.customer_id for c in at_risk.customers] == [4, 7, 8]
    assert [(c.orders, c.revenue_minor) for c in at_risk.customers] == [(4, 30_000), (2, 8_000), (2, 2_500)]
    assert at_risk.total == 3
    counted = {segment.name: segment.customers for segment in rfm_segments(engine, rfm_fixture.MAY).segments}
    assert {name: segment_customers(engine, rfm_fixture.MAY, name).total for name in SEGMENTS} == counted


def test_a_segment_list_is_cut_at_its_limit_but_counts_everyone(engine_for, tmp_path):
    rfm_fixture._fixture(tmp_path)

    champions = segment_customers(engine_for(tmp_path), rfm_fixture.MAY, "Champions", limit=1)

    assert [c.customer_id for c in champions.customers] == [1]
    assert champions.total == 2


def test_late_orders_are_the_late_shipments_and_the_overdue_oldest_first(engine_for, tmp_path):
    fulfilment_fixture._fixture(tmp_path)
    engine = engine_for(tmp_path)
    week = fulfilment_fixture.WEEK

    late = late_orders(engine, week)

    # Order 6 (Express, never shipped) was placed before order 2 (Standard, shipped in 4 working days).
    assert [(o.order_id, o.promised_days, o.shipped_days) for o in late.orders] == [(6, 1, None), (2, 3, 4)]
    assert late.orders[1].carrier == "Royal Mail"
    overall = fulfilment(engine, week).overall
    assert late.total == overall.late_shipments + overall.overdue_unshipped


def test_an_unknown_segment_or_limit_is_refused():
    with pytest.raises(ValueError, match="segment"):
        segment_customers(None, rfm_fixture.MAY, "Whales")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit"):
        late_orders(None, rfm_fixture.MAY, limit=0)  # type: ignore[arg-type]
