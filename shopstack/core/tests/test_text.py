"""The text rule (shopstack.core.text) and the form mixin that applies it (the shop's forms
and pages: shopstack/storefront/tests/test_control_characters.py)."""

from __future__ import annotations

import pytest
from django import forms

from shopstack.core.errors import ValidationFailed
from shopstack.core.forms import RefusesControlCharacters
from shopstack.core.text import refuse_control_characters, refused_character, refused_strings

CONTROL = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]


@pytest.mark.parametrize("character", [*CONTROL, chr(0xD800), chr(0xDFFF)])
def test_control_characters_and_lone_surrogates_are_refused(character: str) -> None:
    assert refused_character(f"a{character}b") == character


@pytest.mark.parametrize("character", ["\t", "\n", "\r"])
def test_multiline_text_may_hold_tabs_and_newlines(character: str) -> None:
    assert refused_character(f"a{character}b", multiline=True) is None
    assert refused_character(f"a{character}b") == character
    assert refused_character(f"a{character}\x00", multiline=True) == "\x00"


@pytest.mark.parametrize("text", ["", "Zoë O'Brien", "東京 🙂", "a\u00a0b", "\u200b\u2028", "\ufeff"])
def test_ordinary_text_is_not_refused(text: str) -> None:
    assert refused_character(text) is None


def test_refused_strings_name_the_dotted_field() -> None:
    data = {"shipping": {"city": "a\x00", "lines": ["ok", "b\x1b"]}, "k\x7f": 1, "n": 5}
    assert sorted(refused_strings(data)) == [
        ("k\x7f", "\x7f"),
        ("shipping.city", "\x00"),
        ("shipping.lines.1", "\x1b"),
    ]
    with pytest.raises(ValidationFailed) as caught:
        refuse_control_characters(refused_strings(data))
    assert caught.value.status == 422
    assert set(caught.value.fields) == {"k\x7f", "shipping.city", "shipping.lines.1"}


class NoteForm(RefusesControlCharacters, forms.Form):
    subject = forms.CharField()
    note = forms.CharField(widget=forms.Textarea)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["added_later"] = forms.CharField(required=False)


def test_a_textarea_may_hold_newlines_and_fields_added_in_init_are_covered(db) -> None:
    form = NoteForm({"subject": "Hi", "note": "line one\r\n\tline two", "added_later": "x"})
    assert form.is_valid(), form.errors
    form = NoteForm({"subject": "Hi\n", "note": "a\x00b", "added_later": "\x07"})
    assert not form.is_valid()
    assert set(form.errors) == {"note", "added_later"}  # "Hi\n": CharField strips it first
    form = NoteForm({"subject": "H\ni", "note": "ok"})
    assert list(form.errors) == ["subject"]
