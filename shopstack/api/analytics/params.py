"""What /api/v1/analytics reads (the parameters of `report_query` and the products
table's) and what every answer starts with (the period, its comparison, the filters, the
currency), as published in the OpenAPI schema.

Conventions, the same in every answer:

- money: a decimal as text in the shop's one currency (`currency`), e.g. `"1234.50"`;
- rates: a fraction as text with four decimal places (`"0.0250"` is 2.5%), always beside
  the whole numbers it is worked out from, and null when there is nothing to divide by;
- dates: ISO 8601 calendar days of the shop's time zone.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

from ninja import Schema
from pydantic import Field

from shopstack.analytics.metrics.products import MAX_LIMIT, SORT_COLUMNS
from shopstack.analytics.reports.query import CHANNELS, COMPARISONS, CUSTOM, DEVICES, MAX_DAYS, RANGES

MONEY = 'A decimal as text in `currency`, e.g. `"1234.50"`.'
RATE = 'A fraction as text with four decimal places (`"0.0250"` is 2.5%); null when nothing to divide by.'
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Past this, a row-number filter in the engine would overflow its 64-bit integers.
MAX_OFFSET = 1_000_000_000

if TYPE_CHECKING:
    RangeName = str
    CompareName = str
    ChannelName = str
    DeviceName = str
    SortName = str
else:
    # The report service's own lists, published as enums.
    RangeName = Literal[(*RANGES, CUSTOM)]
    CompareName = Literal[tuple(COMPARISONS)]
    ChannelName = Literal[tuple(CHANNELS)]
    DeviceName = Literal[tuple(DEVICES)]
    SortName = Literal[SORT_COLUMNS]


# Parameters -----------------------------------------------------------------------------


class AnalyticsReportParams(Schema):
    """What every report is asked for; read by `shopstack.analytics.reports.query.report_query`."""

    range: RangeName | None = Field(
        None,
        description=(
            "A preset ending today (the shop's calendar), or `custom` with `start` and `end`. "
            "Default `last_28_days`, or `custom` when `start` or `end` is given. A preset "
            "together with `start`/`end` is refused."
        ),
    )
    start: str | None = Field(
        None,
        pattern=DATE_PATTERN,
        json_schema_extra={"format": "date"},
        description="First day of a custom range, `YYYY-MM-DD`; not in the future.",
    )
    end: str | None = Field(
        None,
        pattern=DATE_PATTERN,
        json_schema_extra={"format": "date"},
        description=f"Last day of a custom range (included), `YYYY-MM-DD`; at most {MAX_DAYS} days in all.",
    )
    compare: CompareName | None = Field(
        None,
        description=(
            "The comparison period: `previous` (the same number of days just before; the "
            "default), `year` (the same dates a year earlier) or `none`."
        ),
    )
    country: str | None = Field(
        None,
        pattern=r"^[A-Za-z]{2}$",
        description="Only visits and orders of this country: an ISO 3166-1 alpha-2 code, e.g. `GB`.",
    )
    category: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="Only what concerns this category or any below it: a category id (422 if none has it).",
    )
    channel: ChannelName | None = Field(
        None, description="Only the web shop's or the apps' visits and orders."
    )
    device: DeviceName | None = Field(
        None, description="Only visits from this kind of device (bots never count)."
    )


class AnalyticsProductParams(AnalyticsReportParams):
    """A report's parameters and the products table's order and page."""

    sort: SortName = Field("revenue", description="The column the table is ordered by (ties by product id).")
    direction: Literal["desc", "asc"] = Field(
        "desc", description="`desc`, highest first, or `asc`; products with no value for a rate come last."
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT, description="Rows of the table in this answer.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Rows of the table to skip, for the next pages.")


# What every answer starts with -----------------------------------------------------------


class AnalyticsPeriodOut(Schema):
    start: date = Field(description="The first day.")
    end: date = Field(description="The last day, included.")
    days: int = Field(description="Days from `start` to `end`, both included.")


class AnalyticsFiltersOut(Schema):
    country: str | None = Field(description="ISO 3166-1 alpha-2 code, upper case; null when not filtered.")
    category: int | None = Field(
        description="Category id (and every category below it); null when not filtered."
    )
    channel: str | None = Field(description="`web` or `app`; null when not filtered.")
    device: str | None = Field(description="`phone`, `tablet`, `desktop` or `other`; null when not filtered.")


class AnalyticsReportOut(Schema):
    range: str = Field(description="The preset asked for, or `custom`.")
    compare: str = Field(description="The comparison asked for: `previous`, `year` or `none`.")
    period: AnalyticsPeriodOut = Field(description="The days the report covers.")
    previous_period: AnalyticsPeriodOut | None = Field(
        description=(
            "The days of the comparison figures (`previous`); null with `compare=none` and in "
            "reports that show no comparison (products, inventory)."
        )
    )
    filters: AnalyticsFiltersOut = Field(description="The filters applied.")
    currency: str = Field(description="ISO 4217 code of every amount of money in the answer.")
    simulated: bool = Field(
        description="True when the period or the comparison period touches a day whose browsing events "
        "were simulated (the demo shop: SIMULATED.json at the warehouse root); orders, fulfilment and "
        "stock are real even then."
    )
