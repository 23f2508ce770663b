"""The catalog CSV's columns (docs/import-catalog.md) and how a shop's own headers map onto them.

Everything here runs before a single row is read: a header that cannot be understood
refuses the whole file, so nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shopstack.core.errors import ValidationFailed

ATTRIBUTE_PREFIX = "attr:"
# Columns that are attribute values under a fixed attribute slug.
NAMED_ATTRIBUTES = {"color": "color", "material": "material"}
CANONICAL_COLUMNS: tuple[str, ...] = (
    "sku",
    "product_code",
    "title",
    "description",
    "category",
    "price",
    "currency",
    "stock",
    "color",
    "material",
    "aliases",
    "variant_name",
    "weight_grams",
    "published",
    "units_sold",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("sku", "title", "price")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class HeaderError(ValidationFailed):
    """The header or the column mapping cannot be used; the file is refused as a whole."""

    code = "bad_header"


@dataclass(frozen=True)
class Columns:
    """Where each canonical column is in the file's rows."""

    index: dict[str, int]  # canonical column -> position in a row
    attributes: dict[str, int]  # attribute slug -> position (color, material and attr:<slug>)
    attribute_columns: dict[str, str]  # attribute slug -> its canonical column
    labels: dict[str, str]  # canonical column -> the file's header, for messages
    ignored: tuple[str, ...]  # the file's headers no canonical column uses
    width: int

    def label(self, column: str) -> str:
        theirs = self.labels.get(column, column)
        return column if theirs == column else f"{column} ({theirs})"


def is_canonical(name: str) -> bool:
    if name.startswith(ATTRIBUTE_PREFIX):
        return bool(_SLUG.match(name.removeprefix(ATTRIBUTE_PREFIX)))
    return name in CANONICAL_COLUMNS


def parse_mapping(text: str | Sequence[str] | None) -> dict[str, str]:
    """`"sku=Item No,price=Cost"` (or several such strings) -> {canonical: their header}.

    Refuses unknown canonical names and a canonical name given twice."""
    parts: list[str] = []
    for chunk in [text] if isinstance(text, str) else list(text or []):
        parts += [part for part in chunk.split(",") if part.strip()]
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for part in parts:
        canonical, sep, theirs = part.partition("=")
        canonical, theirs = canonical.strip().lower(), theirs.strip()
        if not sep or not canonical or not theirs:
            problems.append(f"{part.strip()!r} is not canonical=their_column.")
        elif not is_canonical(canonical):
            problems.append(
                f"{canonical!r} is not a column of the catalog format "
                f"(known: {', '.join(CANONICAL_COLUMNS)}, attr:<slug>)."
            )
        elif canonical in mapping:
            problems.append(f"{canonical!r} is mapped twice.")
        else:
            mapping[canonical] = theirs
    if problems:
        raise HeaderError("The column mapping is not valid.", fields={"map": problems})
    return mapping


def resolve_columns(header: Sequence[str], mapping: Mapping[str, str] | None = None) -> Columns:
    """Match the file's header against the canonical columns, after applying `mapping`.

    A header cell is matched to a canonical column by the mapping first, else by its own
    name (case and surrounding spaces ignored)."""
    mapping = dict(mapping or {})
    headers = [cell.strip() for cell in header]
    problems: dict[str, list[str]] = {}
    if not any(headers):
        raise HeaderError(
            "The file has no header row.", fields={"header": ["The first row must name the columns."]}
        )
    positions: dict[str, int] = {}
    for position, name in enumerate(headers):
        if name in positions:
            problems.setdefault("header", []).append(f"The column {name!r} appears twice.")
        positions.setdefault(name, position)

    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    mapped_positions: dict[int, str] = {}
    # An empty mapping ("not in the file", from the admin form) keeps a same-named column unread.
    unread = {canonical for canonical, theirs in mapping.items() if not theirs}
    for canonical, theirs in mapping.items():
        if not theirs:
            continue
        if not is_canonical(canonical):
            problems.setdefault("map", []).append(f"{canonical!r} is not a column of the catalog format.")
            continue
        if theirs not in positions:
            problems.setdefault("map", []).append(f"{canonical}={theirs}: the file has no column {theirs!r}.")
            continue
        if positions[theirs] in mapped_positions:
            problems.setdefault("map", []).append(
                f"The column {theirs!r} is mapped to both {mapped_positions[positions[theirs]]!r} "
                f"and {canonical!r}."
            )
            continue
        index[canonical], labels[canonical] = positions[theirs], theirs
        mapped_positions[positions[theirs]] = canonical

    ignored: list[str] = []
    for position, name in enumerate(headers):
        if position in mapped_positions:
            continue
        canonical = name.lower()
        if is_canonical(canonical) and canonical not in index and canonical not in unread:
            index[canonical], labels[canonical] = position, name
        elif name:
            ignored.append(name)

    for slug in NAMED_ATTRIBUTES.values():
        if slug in index and f"{ATTRIBUTE_PREFIX}{slug}" in index:
            problems.setdefault("header", []).append(
                f"Both {slug!r} and '{ATTRIBUTE_PREFIX}{slug}' are given; keep one."
            )
    missing = [column for column in REQUIRED_COLUMNS if column not in index]
    if missing:
        problems.setdefault("header", []).append(
            f"Required column(s) missing: {', '.join(missing)}. Name them in the header or map them "
            f"(e.g. --map {missing[0]}=<your column>)."
        )
    if problems:
        raise HeaderError("The file's header cannot be used; nothing was imported.", fields=problems)

    attribute_columns = {NAMED_ATTRIBUTES[c]: c for c in index if c in NAMED_ATTRIBUTES}
    attribute_columns |= {
        c.removeprefix(ATTRIBUTE_PREFIX): c for c in index if c.startswith(ATTRIBUTE_PREFIX)
    }
    return Columns(
        index=index,
        attributes={slug: index[column] for slug, column in attribute_columns.items()},
        attribute_columns=attribute_columns,
        labels=labels,
        ignored=tuple(ignored),
        width=len(headers),
    )
