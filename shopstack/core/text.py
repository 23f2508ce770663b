"""Which characters text from outside may hold: the one rule every entry point applies.

Refused: control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) and lone
surrogates (U+D800-U+DFFF, which a JSON "\\ud800" escape can produce). PostgreSQL cannot
store U+0000 (a 500), SQLite stores it and cuts the text short for C code that reads it
later, lone surrogates cannot be encoded at all, and the other control characters are
escape sequences for terminals and log viewers, never something a shopper typed.

Multi-line text (a textarea: a return's reason, a note) may also hold TAB, LF and CR;
single-line text (names, codes, address lines, tokens) may not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from shopstack.core.errors import ValidationFailed

_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSED_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

CODE = "invalid_characters"
SUMMARY = "Some values contain characters that are not allowed."


def refused_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of `value` that text may not hold, or None."""
    found = (_REFUSED_MULTILINE if multiline else _REFUSED).search(value)
    return found.group() if found else None


def refusal_message(character: str) -> str:
    return f"Remove the control character U+{ord(character):04X}: it is not allowed here."


def refused_strings(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(dotted path, refused character) for every string anywhere in parsed JSON-like
    `data`, single-line rule: `{"shipping": {"city": "a\\x00"}}` gives ("shipping.city", "\\x00").
    A refused character in an object's key names the key itself."""
    if isinstance(data, str):
        character = refused_character(data)
        if character is not None:
            yield path, character
    elif isinstance(data, dict):
        for key, value in data.items():
            name = f"{path}.{key}" if path else str(key)
            character = refused_character(str(key))
            if character is not None:
                yield name, character
            yield from refused_strings(value, name)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from refused_strings(value, f"{path}.{index}" if path else str(index))


def refuse_control_characters(found: Iterable[tuple[str, str]]) -> None:
    """ValidationFailed (422) naming each field of `found` (from `refused_strings` or the
    like), or nothing if `found` is empty."""
    fields: dict[str, list[str]] = {}
    for name, character in found:
        fields.setdefault(name, [refusal_message(character)])
    if fields:
        raise ValidationFailed(SUMMARY, code=CODE, fields=fields)
