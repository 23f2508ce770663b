"""Forms parse input; the rules they enforce live in services (which check again)."""

from __future__ import annotations

from django import forms

from shopstack.accounts.countries import COUNTRY_CODES
from shopstack.accounts.models import Address, User
from shopstack.core.errors import ValidationFailed
from shopstack.core.forms import RefusesControlCharacters


def _apply_errors(form: forms.Form, error: ValidationFailed) -> None:
    for field, messages in error.fields.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
    if not error.fields:
        form.add_error(None, error.message)


class AddressForm(RefusesControlCharacters, forms.ModelForm):
    country = forms.CharField(
        max_length=2,
        min_length=2,
        help_text="Two-letter ISO code, e.g. GB",
        widget=forms.TextInput(attrs={"list": "country-codes", "autocomplete": "country"}),
    )

    class Meta:
        model = Address
        fields = (
            "full_name",
            "company",
            "line1",
            "line2",
            "city",
            "region",
            "postal_code",
            "country",
            "phone",
        )

    def clean_country(self) -> str:
        value = self.cleaned_data["country"].strip().upper()
        if value not in COUNTRY_CODES:
            raise forms.ValidationError("Enter a two-letter ISO country code, e.g. GB.")
        return value

    apply_errors = _apply_errors


class ProfileForm(RefusesControlCharacters, forms.ModelForm):
    class Meta:
        model = User
        fields = ("first_name", "last_name", "country")

    apply_errors = _apply_errors


COUNTRY_CHOICES = sorted(COUNTRY_CODES)
