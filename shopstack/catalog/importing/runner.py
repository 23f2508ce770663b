"""Stream a catalog CSV through row checks and the batch writer, one transaction per batch.

The file is read row by row; what is kept for the whole run is the SKUs and product codes
already seen (to find duplicates and each product's first row) and the category and
attribute caches. Everything else lives for one batch.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db import transaction

from shopstack.catalog.importing.columns import Columns, HeaderError, resolve_columns
from shopstack.catalog.importing.rows import CatalogRow, RowError, parse_row
from shopstack.catalog.importing.structure import Structure
from shopstack.catalog.importing.writer import BatchOutcome, BatchWriter
from shopstack.catalog.services import Actor, price_change_allowed
from shopstack.inventory.services import stock_change_allowed

DEFAULT_BATCH_SIZE = 1000
MAX_BATCH_SIZE = 20_000
KEPT_ERRORS = 1000  # errors kept in the report; all of them go to `on_error`
# A real catalog has tens of columns and rows of a few kilobytes. The caps are far above
# that and keep a hostile file from holding a worker: a 20,000-column header took 13 s
# and a 12 MB mapping page before them.
DEFAULT_MAX_COLUMNS = 500
DEFAULT_MAX_ROW_CHARS = 1024 * 1024


def max_columns() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_MAX_COLUMNS", DEFAULT_MAX_COLUMNS))


def max_row_chars() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_MAX_ROW_CHARS", DEFAULT_MAX_ROW_CHARS))


@dataclass
class ImportReport:
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    products_created: int = 0
    products_updated: int = 0
    categories_created: int = 0
    attribute_values_created: int = 0
    ignored_columns: tuple[str, ...] = ()
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    file_error: str = ""  # the file could not be read to the end (the rows before it were imported)
    elapsed: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.categories_created or self.attribute_values_created)

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.file_error

    def add(self, outcome: BatchOutcome) -> None:
        self.created += outcome.created
        self.updated += outcome.updated
        self.unchanged += outcome.unchanged
        self.products_created += outcome.products_created
        self.products_updated += outcome.products_updated

    def as_dict(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "invalid": self.invalid,
            "products_created": self.products_created,
            "products_updated": self.products_updated,
            "categories_created": self.categories_created,
            "attribute_values_created": self.attribute_values_created,
            "ignored_columns": list(self.ignored_columns),
            "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
            "error_count": self.error_count,
            "file_error": self.file_error,
            "elapsed": round(self.elapsed, 3),
            "rows_per_second": round(self.rows_per_second, 1),
        }

    def as_text(self) -> str:
        would = "would be " if self.dry_run else ""
        lines = [
            f"Rows: {self.rows:,}: {self.created:,} {would}created, {self.updated:,} {would}updated, "
            f"{self.unchanged:,} unchanged, {self.invalid:,} invalid",
            f"Products: {self.products_created:,} {would}created, {self.products_updated:,} {would}updated; "
            f"categories {would}created: {self.categories_created:,}; "
            f"attribute values {would}created: {self.attribute_values_created:,}",
        ]
        if self.ignored_columns:
            lines.append(f"Columns ignored (not in the format): {', '.join(self.ignored_columns)}")
        if self.file_error:
            lines.append(f"Stopped early: {self.file_error}")
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        elif not self.changed and not self.file_error:
            lines.append("Nothing changed: the catalog already matches the file.")
        lines.append(f"Elapsed: {self.elapsed:.1f} s ({self.rows_per_second:,.0f} rows/s)")
        return "\n".join(lines)


def _text(stream: IO[bytes]) -> io.TextIOWrapper:
    # utf-8-sig: spreadsheets often start UTF-8 files with a byte order mark.
    return io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")


class RowTooLong(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"longer than the limit of {limit:,} characters (CATALOG_IMPORT_MAX_ROW_CHARS)")
        self.limit = limit


class _BoundedLines:
    """The text's lines for `csv.reader`, refusing a row longer than `limit` characters
    before the rest of it is read or parsed. A quoted cell may span lines, so the count
    runs over the row's lines; the caller resets it (`row_done`) after each row."""

    def __init__(self, text: io.TextIOWrapper, limit: int) -> None:
        self._text = text
        self._limit = limit
        self._row_chars = 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(self._limit - self._row_chars + 1)
        if not line:
            raise StopIteration
        self._row_chars += len(line)
        if self._row_chars > self._limit:
            raise RowTooLong(self._limit)
        return line

    def row_done(self) -> None:
        self._row_chars = 0


def _first_row(reader: Iterator[list[str]]) -> list[str]:
    """The header row, refused (HeaderError) when it is not UTF-8 CSV or is over the caps."""
    try:
        header = next(reader, [])
    except (UnicodeDecodeError, csv.Error) as error:
        raise HeaderError(
            "The file is not a UTF-8 CSV file.", fields={"file": [_file_problem(error)]}
        ) from error
    except RowTooLong as error:
        raise HeaderError(
            "The file's header cannot be used; nothing was imported.",
            fields={"header": [f"The header row is {error}."]},
        ) from error
    limit = max_columns()
    if len(header) > limit:
        raise HeaderError(
            "The file's header cannot be used; nothing was imported.",
            fields={
                "header": [
                    f"The header has {len(header):,} columns; at most {limit:,} are allowed "
                    "(CATALOG_IMPORT_MAX_COLUMNS)."
                ]
            },
        )
    return header


def read_header(stream: IO[bytes]) -> list[str]:
    """The file's first row (for the admin's mapping form). The stream stays open."""
    text = _text(stream)
    try:
        header = _first_row(csv.reader(_BoundedLines(text, max_row_chars())))
    finally:
        text.detach()  # else closing the wrapper would close the caller's file
    return [cell.strip() for cell in header]


def _file_problem(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "It is not UTF-8 text; save it as 'CSV UTF-8'."
    if isinstance(error, RowTooLong):
        return f"it is {error}."
    return f"It is not valid CSV: {error}."


class _Rows:
    """The file's data rows with their spreadsheet row numbers (the header is row 1)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._lines = _BoundedLines(_text(stream), max_row_chars())
        self._reader = csv.reader(self._lines)
        self.header = _first_row(self._reader)
        self._lines.row_done()
        self.number = 1  # the row last read

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        for cells in self._reader:
            self._lines.row_done()
            self.number += 1
            if any(cell.strip() for cell in cells):
                yield self.number, cells


def columns_check_allowed(columns: Columns, actor: Actor | None) -> None:
    """Refuse (HeaderError) a file with a column `actor` may not write at all: stock.
    (Prices are checked row by row: a row may give a variant's price as it is.)"""
    if "stock" in columns.index and not stock_change_allowed(actor):
        raise HeaderError(
            "You may not change stock, and the file has a stock column; nothing was imported.",
            fields={
                "stock": [
                    f"The column {columns.labels['stock']!r} would set stock counts, which needs the "
                    "permission 'Can change stock'. Leave it out: map stock to '(not in the file)'."
                ]
            },
        )


def import_catalog(
    *,
    stream: IO[bytes],
    actor: Actor | None,
    mapping: Mapping[str, str] | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_error: Callable[[RowError], None] | None = None,
    on_batch: Callable[[ImportReport], None] | None = None,
    limit: int | None = None,
) -> ImportReport:
    """Create or update the catalog from a CSV file in the format of docs/import-catalog.md.

    Raises HeaderError (and writes nothing) when the header or the mapping cannot be used,
    or when it has a stock column and `actor` may not change stock. A row that would set a
    price `actor` may not set (a new variant, or a price other than the shop's) is invalid.
    `actor=None` is the shop itself (the management command). Invalid rows are reported
    and skipped; valid rows are imported in batches of `batch_size`, each in its own
    transaction. `on_batch` is called after each batch.
    With `limit`, only the first `limit` data rows are read (for a preview)."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise HeaderError(
            "The batch size is out of range.", fields={"batch_size": [f"Give 1 to {MAX_BATCH_SIZE}."]}
        )
    started = time.perf_counter()
    rows = _Rows(stream)
    columns = resolve_columns(rows.header, mapping)
    columns_check_allowed(columns, actor)
    report = ImportReport(dry_run=dry_run, ignored_columns=columns.ignored)
    structure = Structure(dry_run=dry_run)
    writer = BatchWriter(structure, dry_run=dry_run, may_change_price=price_change_allowed(actor))
    checker = _FileChecks(columns, str(settings.SHOP_CURRENCY))

    def fail(errors: list[RowError]) -> None:
        report.invalid += len({e.row for e in errors})
        report.error_count += len(errors)
        room = KEPT_ERRORS - len(report.errors)
        report.errors += errors[: max(room, 0)]
        for error in errors:
            if on_error is not None:
                on_error(error)

    def flush(batch: list[CatalogRow]) -> None:
        if dry_run:
            outcome = writer.write(batch)
        else:
            with transaction.atomic():
                outcome = writer.write(batch)
        report.add(outcome)
        fail(sorted(outcome.errors, key=lambda e: e.row))
        report.categories_created = structure.categories_created
        report.attribute_values_created = structure.attribute_values_created
        report.elapsed = time.perf_counter() - started
        if on_batch is not None:
            on_batch(report)

    batch: list[CatalogRow] = []
    try:
        for number, cells in rows:
            if limit is not None and report.rows >= limit:
                break
            report.rows += 1
            checked = checker.check(number, cells)
            if isinstance(checked, list):
                fail(checked)
                continue
            batch.append(checked)
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
    except (UnicodeDecodeError, csv.Error) as error:
        report.file_error = f"after row {report.rows + 1}: {_file_problem(error)}"
    except RowTooLong as error:
        report.file_error = f"at row {rows.number + 1}: {_file_problem(error)}"
    if batch:
        flush(batch)
    report.elapsed = time.perf_counter() - started
    return report


class _FileChecks:
    """Row checks that need the rest of the file: SKUs seen before, each product's first row."""

    def __init__(self, columns: Columns, shop_currency: str) -> None:
        self.columns = columns
        self.shop_currency = shop_currency
        self.sku_rows: dict[str, int] = {}  # sku -> the row it first appeared on
        self.products: set[str] = set()  # product codes whose first row was accepted

    def check(self, number: int, cells: list[str]) -> CatalogRow | list[RowError]:
        checked = parse_row(cells, self.columns, row=number, shop_currency=self.shop_currency)
        sku = checked.sku if isinstance(checked, CatalogRow) else self._sku(cells)
        if sku:
            first = self.sku_rows.setdefault(sku, number)
            if first != number:
                duplicate = RowError(number, self.columns.label("sku"), f"{sku!r} is also on row {first}.")
                return [duplicate, *checked] if isinstance(checked, list) else [duplicate]
        if isinstance(checked, list):
            return checked
        if checked.product_code not in self.products:
            if not checked.title:
                message = "missing; a product's first row must give its title."
                return [RowError(number, self.columns.label("title"), message)]
            self.products.add(checked.product_code)
            checked.first_of_product = True
        return checked

    def _sku(self, cells: list[str]) -> str:
        position = self.columns.index["sku"]
        return cells[position].strip() if position < len(cells) else ""
