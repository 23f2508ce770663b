"""The category page's filter form: a plain GET form that works without JavaScript."""

from __future__ import annotations

from typing import Any

from django import forms

from shopstack.catalog.selectors import DEFAULT_SORT, SORTS, Facet, ProductFilters
from shopstack.core.errors import ValidationFailed
from shopstack.core.forms import RefusesControlCharacters

SORT_LABELS: dict[str, str] = {
    "best_selling": "Best selling",
    "price": "Price: low to high",
    "-price": "Price: high to low",
    "newest": "Newest",
    "name": "Name",
}
# Query parameters the page owns; an attribute with one of these slugs gets no filter.
RESERVED = frozenset({"min_price", "max_price", "in_stock", "sort", "page"})


class KnownValuesField(forms.MultipleChoiceField):
    """Checkboxes that ignore values no longer offered (an old bookmark keeps working)."""

    def to_python(self, value: Any) -> list[str]:
        known = {str(key) for key, _ in self.choices}
        return [item for item in super().to_python(value) if item in known]


class ProductFilterForm(RefusesControlCharacters, forms.Form):
    min_price = forms.DecimalField(
        label="Minimum price", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    max_price = forms.DecimalField(
        label="Maximum price", required=False, min_value=0, max_digits=12, decimal_places=2
    )
    in_stock = forms.BooleanField(label="In stock only", required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[(key, SORT_LABELS.get(key, key)) for key in SORTS],
    )

    def __init__(self, data: Any, *, facets: list[Facet]) -> None:
        super().__init__(data, label_suffix="")
        for name in ("min_price", "max_price"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.01", "min": "0"})
        self.facet_names: list[str] = []
        for facet in facets:
            if facet.slug in RESERVED:
                continue
            self.fields[facet.slug] = KnownValuesField(
                label=facet.name,
                required=False,
                choices=list(facet.values),
                widget=forms.CheckboxSelectMultiple,
            )
            self.facet_names.append(facet.slug)

    def facet_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.facet_names]

    @property
    def sort_key(self) -> str:
        return self.cleaned_data.get("sort") or DEFAULT_SORT

    def filters(self, *, category_ids: tuple[int, ...]) -> ProductFilters | None:
        """The validated filters, or None with the reasons added to the form's errors."""
        if not self.is_valid():
            return None
        data = self.cleaned_data
        try:
            return ProductFilters(
                category_ids=category_ids,
                min_price=data["min_price"],
                max_price=data["max_price"],
                in_stock=True if data["in_stock"] else None,
                attributes={name: tuple(data[name]) for name in self.facet_names if data.get(name)},
            )
        except ValidationFailed as exc:
            for field, messages in exc.fields.items():
                self.add_error(field if field in self.fields else None, messages)
            if not exc.fields:
                self.add_error(None, exc.message)
            return None

    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields if name != "sort")
