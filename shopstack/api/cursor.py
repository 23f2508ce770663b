"""Opaque, signed cursors for keyset pagination over the catalog's sort orders.

A cursor holds the sort's name and the last row's sort key (ending on its id, which
makes every order total), signed with the SECRET_KEY so a client cannot forge one.
The next page is the rows strictly after that key in the same order: no duplicates or
gaps however rows tie on price or name, and no OFFSET scans on deep pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Field, Model, OrderBy, Q

from shopstack.core.errors import ValidationFailed

SALT = "shopstack.api.cursor.v1"


@dataclass(frozen=True)
class SortTerm:
    name: str
    descending: bool
    nullable: bool
    field: Field  # type: ignore[type-arg]

    def order_by(self) -> OrderBy:
        # NULL sorts as the smallest value on every database (PostgreSQL's default is
        # the opposite), so the keyset conditions below hold on both tiers.
        if self.descending:
            return F(self.name).desc(nulls_last=self.nullable or None)
        return F(self.name).asc(nulls_first=self.nullable or None)

    def after(self, value: Any) -> Q | None:
        """Rows strictly after `value` in this term's direction, or None if none can be."""
        if self.descending:
            if value is None:
                return None
            condition = Q(**{f"{self.name}__lt": value})
            return condition | Q(**{f"{self.name}__isnull": True}) if self.nullable else condition
        if value is None:
            return Q(**{f"{self.name}__isnull": False})
        return Q(**{f"{self.name}__gt": value})

    def equal(self, value: Any) -> Q:
        return Q(**{f"{self.name}__isnull": True}) if value is None else Q(**{self.name: value})


def sort_terms(model: type[Model], ordering: Sequence[str]) -> list[SortTerm]:
    terms = []
    for item in ordering:
        name = item.lstrip("-")
        field = model._meta.pk if name in {"pk", "id"} else model._meta.get_field(name)
        terms.append(
            SortTerm(name=field.attname, descending=item.startswith("-"), nullable=field.null, field=field)
        )
    return terms


def keyset_after(terms: Sequence[SortTerm], values: Sequence[Any]) -> Q:
    """(t1 after v1) OR (t1 = v1 AND t2 after v2) OR ..."""
    result = Q(pk__in=[])
    prefix = Q()
    for term, value in zip(terms, values, strict=True):
        after = term.after(value)
        if after is not None:
            result |= prefix & after
        prefix &= term.equal(value)
    return result


def _to_json(value: Any) -> Any:
    if value is None or isinstance(value, (int, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)  # Decimal: exact as text


def encode(sort: str, terms: Sequence[SortTerm], row: Model) -> str:
    key = [_to_json(getattr(row, term.name)) for term in terms]
    return signing.dumps({"s": sort, "k": key}, salt=SALT, compress=False)


def decode(cursor: str, sort: str, terms: Sequence[SortTerm]) -> list[Any]:
    """The sort key in the cursor, typed for the query; ValidationFailed if it is not one
    this API made for this sort."""
    try:
        payload = signing.loads(cursor, salt=SALT)
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise _bad_cursor("This cursor is not valid; start again from the first page.") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), list):
        raise _bad_cursor("This cursor is not valid; start again from the first page.")
    if payload.get("s") != sort:
        raise _bad_cursor("This cursor belongs to another sort order; keep the sort while paging.")
    raw = payload["k"]
    if len(raw) != len(terms):
        raise _bad_cursor("This cursor is not valid; start again from the first page.")
    values = []
    for term, value in zip(terms, raw, strict=True):
        if value is None and not term.nullable:
            raise _bad_cursor("This cursor is not valid; start again from the first page.")
        try:
            values.append(None if value is None else term.field.to_python(value))
        except (DjangoValidationError, TypeError, ValueError) as exc:
            raise _bad_cursor("This cursor is not valid; start again from the first page.") from exc
    return values


class InvalidCursor(ValidationFailed):
    status = 400
    code = "invalid_cursor"


def _bad_cursor(message: str) -> InvalidCursor:
    return InvalidCursor(message, fields={"cursor": [message]})
