"""Forms of the staff order screen (parse input only; the services hold the rules)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms

from shopstack.orders.models import Order


class _PerLineForm(forms.Form):
    """One field per order line, named line_<id>."""

    def __init__(self, *args: Any, order: Order, field: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order = order
        for line in order.lines.order_by("pk"):
            label = (
                f"{line.sku} {line.product_name} ({line.quantity} ordered, {line.quantity_shipped} shipped)"
            )
            if field == "quantity":
                self.fields[f"line_{line.pk}"] = forms.IntegerField(
                    label=label, min_value=0, max_value=100000, required=False, initial=0
                )
            else:
                self.fields[f"line_{line.pk}"] = forms.DecimalField(
                    label=f"{label}, paid {line.total_amount}, refunded {line.refunded_amount}",
                    min_value=Decimal("0"),
                    max_digits=12,
                    decimal_places=3,
                    required=False,
                )

    def chosen(self) -> list[tuple[int, Any]]:
        return [
            (int(name.removeprefix("line_")), value)
            for name, value in self.cleaned_data.items()
            if name.startswith("line_") and value
        ]


class ShipForm(_PerLineForm):
    tracking_number = forms.CharField(
        required=False, max_length=64, help_text="Only for a parcel sent outside the shop's carrier."
    )

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, order=order, field="quantity", **kwargs)


class RefundForm(_PerLineForm):
    amount = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=3,
        help_text="Or per line below.",
    )
    everything = forms.BooleanField(required=False, label="Refund everything left")
    reason = forms.CharField(required=False, max_length=200)
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, order=order, field="amount", **kwargs)
        self.fields["key"].initial = uuid.uuid4().hex  # a resubmitted form refunds once


class ReturnForm(_PerLineForm):
    reason = forms.CharField(max_length=500)
    restock = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, order: Order, **kwargs: Any) -> None:
        super().__init__(*args, order=order, field="quantity", **kwargs)
