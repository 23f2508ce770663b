"""Ad spend from CSV: validated whole, merged per day and campaign, refused with line and column."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shopstack.analytics.warehouse.ad_spend import AdSpendRefused, ad_spend_import
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.layout import FACTS, fact_path

pytestmark = pytest.mark.django_db

GOOD = """day,utm_source,utm_medium,utm_campaign,cost,currency
2026-03-14,google,cpc,spring,12.50,GBP
2026-03-14,meta,paid_social,spring,7,gbp
2026-03-15,google,cpc,spring,0.10,GBP
"""


@pytest.fixture
def root(settings, tmp_path) -> str:
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "warehouse")
    return settings.ANALYTICS_WAREHOUSE_ROOT


def _spend(root: str) -> list[dict]:
    table = warehouse(root).read(fact_path(root, "ad_spend"), FACTS["ad_spend"])
    return [] if table is None else table.to_pylist()


def test_a_file_is_imported_in_minor_units(root):
    imported = ad_spend_import(io.StringIO(GOOD))

    assert (imported.rows, imported.replaced, imported.total) == (3, 0, 3)
    assert _spend(root) == [
        {
            "day": date(2026, 3, 14),
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "spring",
            "cost_minor": 1250,
            "currency": "GBP",
        },
        {
            "day": date(2026, 3, 14),
            "utm_source": "meta",
            "utm_medium": "paid_social",
            "utm_campaign": "spring",
            "cost_minor": 700,
            "currency": "GBP",
        },
        {
            "day": date(2026, 3, 15),
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_campaign": "spring",
            "cost_minor": 10,
            "currency": "GBP",
        },
    ]


def test_a_reimport_replaces_the_same_day_and_campaign_and_keeps_the_rest(root):
    ad_spend_import(io.StringIO(GOOD))

    imported = ad_spend_import(
        io.StringIO(
            "utm_campaign,utm_source,utm_medium,day,cost,currency\n"  # columns in any order
            "spring,google,cpc,2026-03-14,13.00,GBP\n"
            "summer,google,cpc,2026-03-16,1000,JPY\n"
        )
    )

    assert (imported.rows, imported.replaced, imported.total) == (2, 1, 4)
    costs = {
        (row["day"].isoformat(), row["utm_source"], row["utm_campaign"]): row["cost_minor"]
        for row in _spend(root)
    }
    assert costs == {
        ("2026-03-14", "google", "spring"): 1300,
        ("2026-03-14", "meta", "spring"): 700,
        ("2026-03-15", "google", "spring"): 10,
        ("2026-03-16", "google", "summer"): 1000,  # yen have no minor unit
    }


def test_a_bad_row_refuses_the_file_with_its_line_and_column_and_imports_nothing(root):
    ad_spend_import(io.StringIO(GOOD))
    before = _spend(root)
    bad = (
        "day,utm_source,utm_medium,utm_campaign,cost,currency\n"
        "2026-03-20,google,cpc,spring,5.00,GBP\n"
        "2026-03-21,google,cpc,spring,12.345,GBP\n"
        "21/03/2026,,cpc,spring,-1,GBP\n"
        "2026-03-22,google,cpc,spring,abc,ZZZ\n"
        "2026-03-20,google,cpc,spring,6.00,GBP\n"
    )

    with pytest.raises(AdSpendRefused) as refused:
        ad_spend_import(io.StringIO(bad))

    assert [(problem.line, problem.column) for problem in refused.value.problems] == [
        (3, "cost"),
        (4, "day"),
        (4, "utm_source"),
        (4, "cost"),
        (5, "currency"),
        (5, "cost"),
        (6, "utm_campaign"),
    ]
    assert "GBP amounts have 2 decimal places at most." in refused.value.fields["line 3: cost"]
    assert "line 2" in refused.value.fields["line 6: utm_campaign"][0]
    assert refused.value.status == 422
    assert _spend(root) == before


def test_a_file_with_a_missing_or_unknown_column_is_refused_at_line_1(root):
    with pytest.raises(AdSpendRefused) as refused:
        ad_spend_import(io.StringIO("day,source,utm_medium,utm_campaign,cost,currency\n"))

    assert [(p.line, p.column) for p in refused.value.problems] == [(1, "utm_source"), (1, "source")]
    assert _spend(root) == []


def test_the_command_imports_and_reports_problems_by_line_and_column(root, tmp_path, capsys):
    good = tmp_path / "spend.csv"
    good.write_text("\ufeff" + GOOD, encoding="utf-8")  # a spreadsheet's byte order mark
    call_command("analytics_import_ad_spend", str(good))
    assert "Imported 3 row(s)" in capsys.readouterr().out

    bad = Path(tmp_path / "bad.csv")
    bad.write_text(
        "day,utm_source,utm_medium,utm_campaign,cost,currency\n2026-03-14,google,cpc,spring,1,GBP\n2026-3-1,google,cpc,spring,1,GBP\n"
    )
    with pytest.raises(CommandError) as error:
        call_command("analytics_import_ad_spend", str(bad))

    assert error.value.returncode == 2
    assert "line 3, day: Enter the day as YYYY-MM-DD" in str(error.value)
    assert len(_spend(root)) == 3
