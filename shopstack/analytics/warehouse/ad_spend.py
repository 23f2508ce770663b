"""Ad spend: what each campaign cost per day, imported from a CSV file (facts/ad_spend).

The file has a header row and the columns day (YYYY-MM-DD), utm_source, utm_medium,
utm_campaign, cost (a decimal amount, e.g. 12.50) and currency (ISO 4217, e.g. GBP), in
any order; the campaign is named as in the links of the campaign's adverts. A file is
imported whole or not at all: any invalid row refuses the file, with every problem
reported by line number and column. A row replaces the row of an earlier import for the
same day and campaign (source, medium, campaign), so a corrected file is simply imported
again.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.layout import FACTS, fact_path
from shopstack.analytics.warehouse.lock import warehouse_lock
from shopstack.core.errors import ValidationFailed
from shopstack.core.money import minor_units, parse_amount

COLUMNS = ("day", "utm_source", "utm_medium", "utm_campaign", "cost", "currency")
KEY = ("day", "utm_source", "utm_medium", "utm_campaign")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
SCHEMA = FACTS["ad_spend"]


@dataclass(frozen=True)
class RowProblem:
    line: int  # the file's line number (the header is line 1)
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


class AdSpendRefused(ValidationFailed):
    """The file was not imported; `problems` says where and why."""

    def __init__(self, problems: list[RowProblem]) -> None:
        fields: dict[str, list[str]] = {}
        for problem in problems:
            fields.setdefault(f"line {problem.line}: {problem.column}", []).append(problem.message)
        count = len(problems)
        super().__init__(f"The ad spend file was not imported: {count} problem(s).", fields=fields)
        self.problems = problems


@dataclass(frozen=True)
class AdSpendImported:
    rows: int  # rows in the file
    replaced: int  # rows of earlier imports that they replaced
    total: int  # rows in facts/ad_spend now


def _row(line: int, values: dict[str, str], problems: list[RowProblem]) -> tuple[object, ...] | None:
    found = len(problems)
    text = {name: (values.get(name) or "").strip() for name in COLUMNS}
    day: date | None = None
    if not _DAY.fullmatch(text["day"]):
        problems.append(RowProblem(line, "day", "Enter the day as YYYY-MM-DD, e.g. 2026-03-14."))
    else:
        try:
            day = date.fromisoformat(text["day"])
        except ValueError:
            problems.append(RowProblem(line, "day", f"{text['day']} is no date."))
    for name in ("utm_source", "utm_campaign"):
        if not text[name]:
            problems.append(RowProblem(line, name, "Required: the value in the advert's links."))
    currency = text["currency"].upper()
    if len(currency) != 3 or pycountry.currencies.get(alpha_3=currency) is None:
        problems.append(RowProblem(line, "currency", "Enter an ISO 4217 currency code, e.g. GBP."))
        currency = ""
    cost: Decimal | None = None
    try:
        cost = parse_amount(text["cost"])
    except ValueError:
        problems.append(RowProblem(line, "cost", "Enter an amount such as 12.50 (no currency sign)."))
    if cost is not None:
        if cost < 0:
            problems.append(RowProblem(line, "cost", "A cost cannot be negative."))
        elif currency and cost != cost.quantize(Decimal(1).scaleb(-minor_units(currency))):
            digits = minor_units(currency)
            too_precise = f"{currency} amounts have {digits} decimal places at most."
            problems.append(RowProblem(line, "cost", too_precise))
    if len(problems) > found or day is None or cost is None:
        return None
    cost_minor = int(cost.scaleb(minor_units(currency)))
    return (day, text["utm_source"], text["utm_medium"], text["utm_campaign"], cost_minor, currency)


def ad_spend_parse(lines: Iterable[str]) -> pa.Table:
    """The rows of a CSV file (text lines) as a table of the ad_spend schema, or
    AdSpendRefused with every problem found."""
    reader = csv.DictReader(lines)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in COLUMNS if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        problems = [RowProblem(1, name, "Missing column.") for name in missing]
        expected = f"Unknown column; expected {', '.join(COLUMNS)}."
        problems += [RowProblem(1, name or "(empty)", expected) for name in unknown]
        raise AdSpendRefused(problems)
    reader.fieldnames = header
    problems: list[RowProblem] = []
    rows: list[tuple[object, ...]] = []
    first_line: dict[tuple[object, ...], int] = {}
    for values in reader:
        line = reader.line_num
        if None in values:
            problems.append(RowProblem(line, "(row)", "More values than columns."))
            continue
        row = _row(line, values, problems)
        if row is None:
            continue
        key = row[:4]
        if key in first_line:
            repeated = f"Repeats the day and campaign of line {first_line[key]}."
            problems.append(RowProblem(line, "utm_campaign", repeated))
            continue
        first_line[key] = line
        rows.append(row)
    if problems:
        raise AdSpendRefused(problems)
    columns = list(zip(*rows, strict=True)) or [() for _ in SCHEMA]
    arrays = [pa.array(column, type=field.type) for column, field in zip(columns, SCHEMA, strict=True)]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _keys(table: pa.Table) -> list[tuple[object, ...]]:
    return list(zip(*(table.column(name).to_pylist() for name in KEY), strict=True))


def ad_spend_import(lines: Iterable[str]) -> AdSpendImported:
    """Validate the whole file, then merge it into facts/ad_spend (its rows replace those of
    earlier imports for the same day and campaign). Raises AdSpendRefused, changing nothing."""
    imported = ad_spend_parse(lines)
    where = warehouse()
    path = fact_path(where.root, "ad_spend")
    with warehouse_lock("ad_spend", wait=True):
        where.remove_temporary(path.rsplit("/", 1)[0])
        existing = where.read(path, SCHEMA)
        replaced = 0
        parts = [imported]
        if existing is not None and existing.num_rows:
            new_keys = set(_keys(imported))
            kept = pa.array([key not in new_keys for key in _keys(existing)], type=pa.bool_())
            replaced = existing.num_rows - pc.sum(kept).as_py() if len(kept) else 0
            parts.insert(0, existing.filter(kept))
        merged = pa.concat_tables(parts).sort_by([(name, "ascending") for name in KEY]).combine_chunks()
        where.write(path, SCHEMA, [merged])
    return AdSpendImported(rows=imported.num_rows, replaced=replaced, total=merged.num_rows)
