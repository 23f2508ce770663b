"""How the dashboards write numbers, and the shapes a page is drawn from.

A page is headlines (a number beside its comparison) and sections (a chart and the table
with the same numbers, which is also what the CSV export writes). Builders in traffic.py and
commerce.py fill them from the report service's answers; the templates only lay them out,
so no template computes anything or runs a query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from django.conf import settings

from shopstack.core.money import format_money, minor_units

Kind = Literal["count", "money", "rate", "ratio", "duration", "days", "text"]
# Which way is good for a number: up (revenue), down (bounce rate), or neither.
Better = Literal["up", "down", "neutral"]


MISSING = "\u2013"  # an en dash: no value to show (a rate of nothing, a time never reached)
MINUS = "\u2212"


def currency() -> str:
    return str(settings.SHOP_CURRENCY)


def money_amount(minor: float | int | None) -> Decimal | None:
    """Minor units (pence) as an amount of the shop's currency, never through a float's digits."""
    if minor is None:
        return None
    digits = minor_units(currency())
    return (Decimal(str(minor)) / (Decimal(10) ** digits)).quantize(Decimal(1).scaleb(-digits))


def money_text(minor: float | int | None) -> str:
    amount = money_amount(minor)
    return MISSING if amount is None else format_money(amount, currency())


def count_text(value: float | int | None) -> str:
    if value is None:
        return MISSING
    return f"{round(value):,}"


def rate_text(value: float | None) -> str:
    """A share as a percentage: 0.0234 -> 2.34%; small shares keep two decimals."""
    if value is None:
        return MISSING
    percent = value * 100
    if percent == 0:
        return "0%"
    return f"{percent:,.1f}%" if abs(percent) >= 10 else f"{percent:,.2f}%"


def duration_text(seconds: float | int | None) -> str:
    """A time span people read at a glance: "2 d 4 h", "3 h 12 min", "4 min 5 s", "42 s"."""
    if seconds is None:
        return MISSING
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def days_text(value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:,.1f} d" if value < 10 else f"{round(value):,} d"


def value_text(kind: Kind, value: object) -> str:
    if kind == "text":
        return "" if value is None else str(value)
    number = value if isinstance(value, int | float) else None
    if kind == "money":
        return money_text(number)
    if kind == "rate":
        return rate_text(number)
    if kind == "duration":
        return duration_text(number)
    if kind == "days":
        return days_text(number)
    if kind == "ratio":
        return MISSING if number is None else f"{number:,.2f}\u00d7"
    return count_text(number)


def csv_value(kind: Kind, value: object) -> object:
    """What a CSV cell holds: plain numbers a spreadsheet can sum (money in major units,
    rates as percentages, durations in seconds), never the display text."""
    if value is None:
        return ""
    if kind == "money" and isinstance(value, int | float):
        return money_amount(value)
    if kind == "rate" and isinstance(value, int | float):
        return round(value * 100, 4)
    if kind in ("days", "ratio") and isinstance(value, float):
        return round(value, 2)
    if kind == "duration" and isinstance(value, int | float):
        return round(value)
    return value


@dataclass(frozen=True)
class Change:
    text: str  # "+12.5%", "new", "no change"
    arrow: str  # ▲ ▼ or ""
    tone: str  # good, bad, neutral
    description: str  # for screen readers and the tooltip


def change_of(current: float | None, previous: float | None, better: Better) -> Change | None:
    """The change from `previous` to `current` as a percentage, coloured by whether that
    direction is good for this number. None when there is nothing to compare with."""
    if current is None or previous is None:
        return None
    if current == previous:
        return Change("no change", "", "neutral", "no change")
    if previous == 0:
        up = current > 0
        return Change(
            "new", "▲" if up else "▼", _tone(up, better), "up from zero" if up else "down from zero"
        )
    ratio = (current - previous) / abs(previous)
    up = ratio > 0
    percent = abs(ratio) * 100
    text = f"{percent:,.0f}%" if percent >= 10 else f"{percent:,.1f}%"
    return Change(
        f"{'+' if up else MINUS}{text}",
        "▲" if up else "▼",
        _tone(up, better),
        f"{'up' if up else 'down'} {text}",
    )


def _tone(up: bool, better: Better) -> str:
    if better == "neutral":
        return "neutral"
    return "good" if up == (better == "up") else "bad"


@dataclass(frozen=True)
class Headline:
    label: str
    kind: Kind
    current: float | int | None
    previous: float | int | None = None
    better: Better = "up"
    compared: bool = True  # False: a number that has no comparison period (a snapshot)
    note: str = ""

    @property
    def text(self) -> str:
        return value_text(self.kind, self.current)

    @property
    def previous_text(self) -> str:
        return value_text(self.kind, self.previous)

    @property
    def change(self) -> Change | None:
        return change_of(self.current, self.previous, self.better) if self.compared else None


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = "count"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass(frozen=True)
class Cell:
    value: object
    kind: Kind = "count"
    href: str = ""  # a drill-down: the same pages narrowed by this row, or its admin page
    title: str = ""  # what following the link does

    @property
    def text(self) -> str:
        return value_text(self.kind, self.value)

    @property
    def csv(self) -> object:
        return csv_value(self.kind, self.value)


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: list[tuple[Cell, ...]]
    empty: str = "Nothing in this period."

    def header(self) -> list[str]:
        return [
            column.label + (f" ({currency()})" if column.kind == "money" else "") for column in self.columns
        ]


@dataclass(frozen=True)
class Dataset:
    label: str
    values: list[float | int | None]
    kind: Kind = "count"
    axis: str = "y"  # a second axis ("y2") for a series of another unit


@dataclass(frozen=True)
class Chart:
    """What static/shopstack/analytics/dashboards.js draws with Chart.js."""

    type: Literal["line", "bar", "hbar", "doughnut"]
    labels: list[str]
    datasets: list[Dataset]
    stacked: bool = False
    colours: list[str] | None = None  # per label, by meaning: good, warning, bad (else the palette)

    @property
    def has_values(self) -> bool:
        """False when every value is zero or missing: such a chart says nothing the table doesn't."""
        return any(value for data in self.datasets for value in data.values)

    def as_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "labels": self.labels,
            "stacked": self.stacked,
            "colours": self.colours,
            "currency": currency(),
            "datasets": [
                {
                    "label": data.label,
                    "kind": data.kind,
                    "axis": data.axis,
                    # Money is drawn in major units; rates as percentages.
                    "values": [_chart_value(data.kind, value) for value in data.values],
                }
                for data in self.datasets
            ],
        }


def _chart_value(kind: Kind, value: float | int | None) -> float | int | None:
    if value is None:
        return None
    if kind == "money":
        return float(money_amount(value) or 0)
    if kind == "rate":
        return round(value * 100, 4)
    if kind == "ratio":
        return round(value, 4)
    return value


@dataclass(frozen=True)
class Section:
    slug: str  # names the CSV export and the chart's data element
    title: str
    table: Table
    chart: Chart | None = None
    description: str = ""
    simulated: bool = True  # drawn from browsing events (False: from orders and stock, never simulated)
    pager: dict[str, str] | None = None  # previous and next pages of a long table


@dataclass
class Page:
    headlines: list[Headline] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    has_data: bool = True
    note: str = ""
    deferred: list[tuple[str, str]] = field(default_factory=list)  # (slug, title) fetched apart

    def section(self, slug: str) -> Section | None:
        return next((section for section in self.sections if section.slug == slug), None)
