"""Text rules every form of the shop applies (`shopstack.core.text`), as field errors.

Forms inherit `RefusesControlCharacters`: each text field of the form (CharField and its
subclasses: email, slug, URL...) refuses control characters with its usual field error.
A field drawn as a textarea is multi-line and may hold TAB, LF and CR; any other may not.
Fields need not opt in, and fields a form adds in its own __init__ are covered too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.validators import ProhibitNullCharactersValidator

from shopstack.core.text import refusal_message, refused_character


class ControlCharacterValidator:
    """A field validator refusing what `shopstack.core.text` refuses."""

    code = "control_character"

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        character = refused_character(value, multiline=self.multiline) if isinstance(value, str) else None
        if character is not None:
            raise forms.ValidationError(refusal_message(character), code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ControlCharacterValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((type(self), self.multiline))


def _guard(field: forms.Field) -> None:
    if not isinstance(field, forms.CharField):
        return
    if any(isinstance(validator, ControlCharacterValidator) for validator in field.validators):
        return
    multiline = isinstance(field.widget, forms.Textarea)
    # Django's own NUL validator would say the same thing a second time.
    field.validators = [
        validator
        for validator in field.validators
        if not isinstance(validator, ProhibitNullCharactersValidator)
    ] + [ControlCharacterValidator(multiline=multiline)]


class RefusesControlCharacters(forms.BaseForm):
    """Mixin for every form of the shop; put it first: `class F(RefusesControlCharacters, forms.Form)`."""

    def full_clean(self) -> None:
        for field in self.fields.values():
            _guard(field)
        super().full_clean()


def text_checked_by_form[ViewT: Callable[..., Any]](view: ViewT) -> ViewT:
    """Mark a page view whose input goes through forms with `RefusesControlCharacters`: the
    page middleware leaves the checking to them, so a refused character is a field error
    beside its control rather than the middleware's 400 page."""
    view.text_checked_by_form = True  # type: ignore[attr-defined]
    return view
