"""Helpers for back-office admin classes: CSV export that spreadsheets cannot be tricked by."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """The value as CSV cell text, with a leading quote when it would start a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterable[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> StreamingHttpResponse:
    """Stream rows as a CSV download; large selections never sit in memory at once."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


Column = tuple[str, str | Callable[[Any], object]]


def csv_export_action(
    columns: Sequence[Column], *, name: str = "export"
) -> Callable[..., StreamingHttpResponse]:
    """An admin action exporting the selected rows; `columns` are (header, attribute or callable)."""

    def value_of(obj: Model, getter: str | Callable[[Any], object]) -> object:
        if callable(getter):
            return getter(obj)
        value: object = obj
        for part in getter.split("__"):
            value = getattr(value, part, None) if value is not None else None
        return value

    @admin.action(description="Export selected to CSV", permissions=["view"])
    def export_csv(
        modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
    ) -> StreamingHttpResponse:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        rows = (
            [value_of(obj, getter) for _, getter in columns] for obj in queryset.iterator(chunk_size=2000)
        )
        return csv_response(f"{name}-{stamp}.csv", [header for header, _ in columns], rows)

    return export_csv
