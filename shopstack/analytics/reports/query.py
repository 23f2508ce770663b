"""What a report is asked for, read from a page's or the API's query parameters: a date range
(a preset such as the last 28 days, or custom start and end dates), what it is compared with,
and the filters. Bad parameters raise ValidationFailed naming each field; nothing is run.

Dates are the shop's calendar days (settings.TIME_ZONE). Presets end today, so "last 7
days" includes today's events as far as compaction has brought them in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import pycountry
from django.conf import settings
from django.utils import timezone

from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.schema import Channel, Device
from shopstack.catalog.selectors import category_names
from shopstack.core.errors import ValidationFailed

# Two years: enough for a year-on-year view, and a bound on what one page can ask to scan.
MAX_DAYS = 731
DEFAULT_RANGE = "last_28_days"
CUSTOM = "custom"
# The earliest day a custom range may start: a comparison reaches back a year and a range
# before it, and dates near year 1 have no day before them (an OverflowError, not a 422).
MIN_DAY = date(1970, 1, 1)
# Only this form: date.fromisoformat also reads 20260504 and 2026-W19-1.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _last(days: int) -> Callable[[date], tuple[date, date]]:
    return lambda today: (today - timedelta(days=days - 1), today)


def _this_month(today: date) -> tuple[date, date]:
    return today.replace(day=1), today


def _last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _this_quarter(today: date) -> tuple[date, date]:
    return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today


def _this_year(today: date) -> tuple[date, date]:
    return today.replace(month=1, day=1), today


def _last_year(today: date) -> tuple[date, date]:
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)


# Label, then the (start, end) it means on a given day; in the order a picker shows them.
RANGES: dict[str, tuple[str, Callable[[date], tuple[date, date]]]] = {
    "today": ("Today", lambda today: (today, today)),
    "yesterday": ("Yesterday", lambda today: (today - timedelta(days=1), today - timedelta(days=1))),
    "last_7_days": ("Last 7 days", _last(7)),
    "last_28_days": ("Last 28 days", _last(28)),
    "last_90_days": ("Last 90 days", _last(90)),
    "this_month": ("This month", _this_month),
    "last_month": ("Last month", _last_month),
    "this_quarter": ("This quarter", _this_quarter),
    "this_year": ("This year", _this_year),
    "last_year": ("Last year", _last_year),
}

COMPARE_PREVIOUS = "previous"  # the same number of days just before
COMPARE_YEAR = "year"  # the same dates a year earlier
COMPARE_NONE = "none"
COMPARISONS = {
    COMPARE_PREVIOUS: "Previous period",
    COMPARE_YEAR: "Same period last year",
    COMPARE_NONE: "No comparison",
}

CHANNELS = {Channel.WEB.value: "Web", Channel.APP.value: "App"}
DEVICES = {
    Device.PHONE.value: "Phone",
    Device.TABLET.value: "Tablet",
    Device.DESKTOP.value: "Desktop",
    Device.OTHER.value: "Other",
}


@dataclass(frozen=True)
class ReportQuery:
    period: Period
    compare: str  # one of COMPARISONS
    range: str  # one of RANGES, or CUSTOM

    @property
    def comparison(self) -> Period | None:
        if self.compare == COMPARE_PREVIOUS:
            return self.period.previous()
        if self.compare == COMPARE_YEAR:
            return Period(
                start=_year_before(self.period.start),
                end=_year_before(self.period.end),
                tz=self.period.tz,
                filters=self.period.filters,
            )
        return None

    def params(self) -> dict[str, str]:
        """The query parameters that ask for this again (for links, CSV exports, drill-downs)."""
        filters = self.period.filters
        values = {
            "range": self.range,
            "compare": self.compare,
            "country": filters.country,
            "category": str(filters.category_id or ""),
            "channel": filters.channel,
            "device": filters.device,
        }
        if self.range == CUSTOM:
            values["start"] = self.period.start.isoformat()
            values["end"] = self.period.end.isoformat()
        return {key: value for key, value in values.items() if value}


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def report_query(params: Mapping[str, str], *, today: date | None = None) -> ReportQuery:
    """The report asked for by `params` (keys: range, start, end, compare, country, category,
    channel, device; all optional). Raises ValidationFailed with a message per bad field."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    start, end, range_name = _dates(params, today, errors)
    compare = _text(params, "compare") or COMPARE_PREVIOUS
    if compare not in COMPARISONS:
        errors["compare"] = [f"Must be one of: {', '.join(COMPARISONS)}."]
    filters = _filters(params, errors)
    if errors or start is None or end is None or filters is None:
        raise ValidationFailed("The report's parameters are not valid.", fields=errors)
    period = Period(start=start, end=end, tz=settings.TIME_ZONE, filters=filters)
    return ReportQuery(period=period, compare=compare, range=range_name)


def _text(params: Mapping[str, str], name: str) -> str:
    return str(params.get(name) or "").strip()


def _dates(
    params: Mapping[str, str], today: date, errors: dict[str, list[str]]
) -> tuple[date | None, date | None, str]:
    range_name = _text(params, "range")
    has_dates = bool(_text(params, "start") or _text(params, "end"))
    if not range_name:
        range_name = CUSTOM if has_dates else DEFAULT_RANGE
    if range_name != CUSTOM:
        if range_name not in RANGES:
            errors["range"] = [f"Must be one of: {', '.join([*RANGES, CUSTOM])}."]
            return None, None, range_name
        if has_dates:
            errors["range"] = ["Give either a range or start and end dates, not both."]
            return None, None, range_name
        start, end = RANGES[range_name][1](today)
        return start, end, range_name
    start = _day(params, "start", errors)
    end = _day(params, "end", errors)
    if start is None or end is None:
        return None, None, range_name
    if end < start:
        errors["end"] = ["Must be on or after the start date."]
    elif start > today:
        errors["start"] = ["Must not be in the future."]
    elif (end - start).days + 1 > MAX_DAYS:
        errors["end"] = [f"A report covers at most {MAX_DAYS} days."]
    if errors:
        return None, None, range_name
    return start, end, range_name


def _day(params: Mapping[str, str], name: str, errors: dict[str, list[str]]) -> date | None:
    text = _text(params, name)
    if not text:
        errors[name] = ["Required with a custom range (YYYY-MM-DD)."]
        return None
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None:
        errors[name] = ["Must be a date written YYYY-MM-DD."]
        return None
    if day < MIN_DAY:
        errors[name] = [f"Must be {MIN_DAY.isoformat()} or later."]
        return None
    return day


def _filters(params: Mapping[str, str], errors: dict[str, list[str]]) -> Filters | None:
    before = len(errors)
    country = _text(params, "country").upper()
    if country and (len(country) != 2 or pycountry.countries.get(alpha_2=country) is None):
        errors["country"] = ["Must be a country's two-letter ISO code, such as GB."]
    channel = _text(params, "channel").lower()
    if channel and channel not in CHANNELS:
        errors["channel"] = [f"Must be one of: {', '.join(CHANNELS)}."]
    device = _text(params, "device").lower()
    if device and device not in DEVICES:
        errors["device"] = [f"Must be one of: {', '.join(DEVICES)}."]
    category_id = _category(_text(params, "category"), errors)
    if len(errors) > before:
        return None
    return Filters(country=country, category_id=category_id, channel=channel, device=device)


def _category(text: str, errors: dict[str, list[str]]) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        errors["category"] = ["Must be a category's id (a whole number)."]
        return None
    if int(text) not in category_names():
        errors["category"] = ["No category has this id."]
        return None
    return int(text)
