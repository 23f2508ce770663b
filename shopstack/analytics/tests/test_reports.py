"""The report service: questions read from parameters (bad ones refused by field), the
comparison periods, and answers cached exactly until the warehouse is written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.test import override_settings

from shopstack.analytics.reports import dashboards
from shopstack.analytics.reports.cache import cached, warehouse_stamp
from shopstack.analytics.reports.dashboards import overview_report, product_options
from shopstack.analytics.reports.query import MAX_DAYS, report_query
from shopstack.analytics.tests.warehouse_fixtures import at, write_rows
from shopstack.analytics.warehouse.compaction import events_compact
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.state import state_read
from shopstack.catalog.models import Category
from shopstack.core.errors import ValidationFailed

TODAY = date(2026, 5, 20)


def fields_of(params: dict[str, str]) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as refused:
        report_query(params, today=TODAY)
    return refused.value.fields


def test_no_parameters_mean_the_last_28_days_against_the_28_before():
    query = report_query({}, today=TODAY)
    assert (query.period.start, query.period.end) == (date(2026, 4, 23), TODAY)
    assert query.comparison is not None
    assert (query.comparison.start, query.comparison.end) == (date(2026, 3, 26), date(2026, 4, 22))


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("today", date(2026, 5, 20), date(2026, 5, 20)),
        ("yesterday", date(2026, 5, 19), date(2026, 5, 19)),
        ("last_7_days", date(2026, 5, 14), date(2026, 5, 20)),
        ("last_90_days", date(2026, 2, 20), date(2026, 5, 20)),
        ("this_month", date(2026, 5, 1), date(2026, 5, 20)),
        ("last_month", date(2026, 4, 1), date(2026, 4, 30)),
        ("this_quarter", date(2026, 4, 1), date(2026, 5, 20)),
        ("this_year", date(2026, 1, 1), date(2026, 5, 20)),
        ("last_year", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_each_preset_ends_where_a_shop_owner_expects(name, start, end):
    query = report_query({"range": name}, today=TODAY)
    assert (query.period.start, query.period.end) == (start, end)


def test_a_year_earlier_comparison_keeps_the_dates_and_moves_29_february():
    leap = {"start": "2028-02-01", "end": "2028-02-29", "compare": "year"}
    query = report_query(leap, today=date(2028, 3, 1))
    assert query.comparison is not None
    assert (query.comparison.start, query.comparison.end) == (date(2027, 2, 1), date(2027, 2, 28))
    assert report_query({"compare": "none"}, today=TODAY).comparison is None


@pytest.mark.django_db
def test_a_query_asked_again_from_its_own_parameters_is_the_same_query():
    category = Category.objects.create(name="Mugs", slug="mugs")
    query = report_query(
        {
            "start": "2026-05-01",
            "end": "2026-05-10",
            "compare": "year",
            "country": "gb",
            "channel": "app",
            "device": "Phone",
            "category": str(category.pk),
        },
        today=TODAY,
    )
    assert query.period.filters.country == "GB"
    assert query.period.filters.device == "phone"
    assert report_query(query.params(), today=TODAY) == query


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"range": "forever"}, "range"),
        ({"range": "today", "start": "2026-05-01"}, "range"),
        ({"start": "2026-05-01"}, "end"),
        ({"start": "1 May", "end": "2026-05-02"}, "start"),
        ({"start": "20260501", "end": "2026-05-02"}, "start"),
        ({"start": "2026-W18-5", "end": "2026-05-02"}, "start"),
        ({"start": "2026-05-01", "end": "2026-02-30"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"start": "1969-12-31", "end": "1970-01-02"}, "start"),
        ({"start": "2026-05-03", "end": "2026-05-02"}, "end"),
        ({"start": "2026-06-01", "end": "2026-06-02"}, "start"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "end"),
        ({"compare": "last_week"}, "compare"),
        ({"country": "XX"}, "country"),
        ({"country": "GBR"}, "country"),
        ({"channel": "email"}, "channel"),
        ({"device": "bot"}, "device"),
        ({"category": "mugs"}, "category"),
        ({"category": "²"}, "category"),
        ({"category": "999999"}, "category"),
    ],
)
def test_a_bad_parameter_is_refused_by_name(params, field):
    assert field in fields_of(params)


@pytest.mark.django_db
def test_every_bad_parameter_is_named_at_once():
    assert set(fields_of({"compare": "x", "country": "x", "channel": "x", "device": "x"})) == {
        "compare",
        "country",
        "channel",
        "device",
    }


@pytest.mark.parametrize("compare", ["previous", "year"])
def test_the_earliest_day_a_range_may_start_on_has_a_comparison(compare):
    query = report_query({"start": "1970-01-01", "end": "1970-01-01", "compare": compare}, today=TODAY)
    assert query.comparison is not None
    assert query.comparison.end < date(1970, 1, 1)
    assert query.comparison.utc_bounds()


def test_the_longest_range_is_two_years():
    start = date(2024, 5, 20)
    end = date.fromordinal(start.toordinal() + MAX_DAYS - 1)
    query = report_query({"start": start.isoformat(), "end": end.isoformat()}, today=end)
    assert query.period.days == MAX_DAYS


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("price", "desc", 20, 0), "sort"),
        (("revenue", "down", 20, 0), "direction"),
        (("revenue", "desc", "0", 0), "limit"),
        (("revenue", "desc", "501", 0), "limit"),
        (("revenue", "desc", "ten", 0), "limit"),
        (("revenue", "desc", 20, "-1"), "offset"),
    ],
)
def test_product_table_options_are_checked_by_name(args, field):
    with pytest.raises(ValidationFailed) as refused:
        product_options(*args)
    assert field in refused.value.fields


def test_product_table_options_read_text_as_the_api_and_pages_send_them():
    assert product_options("views", "asc", "50", "100") == ("views", False, 50, 100)


def test_any_file_written_gives_the_warehouse_a_new_stamp(tmp_path: Path):
    with override_settings(ANALYTICS_WAREHOUSE_ROOT=str(tmp_path)):
        assert warehouse_stamp() == ""
        write_rows(tmp_path, "orders", [])
        first = warehouse_stamp()
        write_rows(tmp_path, "orders", [])
        assert first
        assert warehouse_stamp() not in ("", first)


@pytest.mark.django_db
def test_compaction_records_when_it_ran(tmp_path: Path):
    with override_settings(ANALYTICS_WAREHOUSE_ROOT=str(tmp_path)):
        assert state_read(warehouse()).events_compacted_at is None
        events_compact()
        assert state_read(warehouse()).events_compacted_at is not None


def test_an_answer_is_reused_until_the_warehouse_is_written(tmp_path: Path):
    runs: list[int] = []

    def compute() -> int:
        runs.append(1)
        return len(runs)

    with override_settings(ANALYTICS_WAREHOUSE_ROOT=str(tmp_path)):
        assert cached("question", compute) == 1
        assert cached("question", compute) == 1
        assert cached("another question", compute) == 2
        write_rows(tmp_path, "orders", [])
        assert cached("question", compute) == 3


@pytest.mark.django_db
def test_the_overview_report_shows_new_orders_once_they_are_written(tmp_path: Path):
    with override_settings(ANALYTICS_WAREHOUSE_ROOT=str(tmp_path), TIME_ZONE="UTC"):
        query = report_query({"start": "2026-05-01", "end": "2026-05-02"}, today=TODAY)
        empty = overview_report(query)
        assert empty.current.orders == 0
        assert empty.previous is not None
        assert empty.previous.orders == 0
        row = {"order_id": 1, "placed_at": at("2026-05-01 10:00"), "total_minor": 2500}
        earlier = {"order_id": 2, "placed_at": at("2026-04-30 10:00"), "total_minor": 900}
        write_rows(tmp_path, "orders", [{**row, "paid_at": at("2026-05-01 10:01")}, earlier])
        report = overview_report(query)
        assert (report.current.orders, report.current.gross_minor) == (1, 2500)
        assert report.previous is not None
        assert report.previous.orders == 1
        assert report.previous_period is not None
        assert report.previous_period.end == date(2026, 4, 30)


def test_every_dashboard_has_a_report():
    assert all(hasattr(dashboards, f"{name}_report") for name in dashboards.DASHBOARDS)
