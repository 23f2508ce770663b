"""Addresses between the dashboards: every link keeps the question (range, comparison,
filters), so moving from page to page, narrowing by a row or exporting a table asks for
the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse


@dataclass(frozen=True)
class Links:
    page: str
    params: dict[str, str]  # ReportQuery.params(): range, compare, filters
    extra: dict[str, str] = field(default_factory=dict)  # the page's own (the products table's sort)

    def page_url(self, page: str, **changes: str) -> str:
        """Dashboard `page` with this question, `changes` applied ("" removes one)."""
        params = {**self.params, **(self.extra if page == self.page else {}), **changes}
        return _with_query(reverse("dashboards:page", args=[page]), params)

    def narrow(self, **filters: str) -> str:
        """This page narrowed by a filter (country, category, channel, device); the products
        table starts at its first page again."""
        extra = {key: value for key, value in self.extra.items() if key != "offset"}
        params = {**self.params, **extra, **filters}
        return _with_query(reverse("dashboards:page", args=[self.page]), params)

    def export(self, section: str) -> str:
        return _with_query(
            reverse("dashboards:export", args=[self.page, section]), {**self.params, **self.extra}
        )

    def part(self, section: str) -> str:
        return _with_query(reverse("dashboards:part", args=[self.page, section]), self.params)

    def product(self, product_id: int) -> str:
        return reverse("admin:catalog_product_change", args=[product_id])

    def filter_removed(self, name: str) -> str:
        return self.page_url(self.page, **{name: ""})


def _with_query(path: str, params: dict[str, str]) -> str:
    kept = {key: value for key, value in params.items() if value}
    return f"{path}?{urlencode(kept)}" if kept else path
