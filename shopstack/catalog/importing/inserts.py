"""Plain multi-row INSERTs for the import's hot path.

`bulk_create` builds a model instance per row and compiles every value into the SQL
statement; for a million-row import that is most of the time. Here each row is a dict,
each value goes through its field's own `get_db_prep_save` (so dates, decimals and JSON
are stored exactly as the ORM stores them), and multi-row INSERT statements send the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.utils import timezone

CHUNK = 500  # rows per statement parameter list, well within every backend's limits
# Values of these field types reach the database driver as they are (str, int, bool, None).
PLAIN_TYPES = frozenset(
    {
        "CharField",
        "SlugField",
        "TextField",
        "BooleanField",
        "IntegerField",
        "BigIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "ForeignKey",
    }
)


def insert_rows(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert rows given as {attname: value}; fields left out take their default, and
    `auto_now`/`auto_now_add` fields the current time. Returns how many rows were written."""
    rows = list(rows)
    if not rows:
        return 0
    db = connections[DEFAULT_DB_ALIAS]  # resolved once: the `connection` proxy costs a lookup per use
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    plain = [f.get_internal_type() in PLAIN_TYPES for f in fields]
    defaults: list[Any] = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            default = now
        else:
            default = field.get_default()
        defaults.append(field.get_db_prep_save(default, db))
    quote = db.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row_placeholder = f"({', '.join(['%s'] * len(fields))})"
    target = f"{quote(model._meta.db_table)} ({columns})"
    columns_of = list(zip([f.attname for f in fields], fields, plain, defaults, strict=True))
    prepared = [
        [
            (row[name] if is_plain else field.get_db_prep_save(row[name], db)) if name in row else default
            for name, field, is_plain, default in columns_of
        ]
        for row in rows
    ]
    if db.vendor == "postgresql":
        # COPY streams the rows; psycopg adapts each value as it does for a query.
        with db.cursor() as cursor, cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for values in prepared:
                copy.write_row(values)
        return len(prepared)
    # Many rows per statement: one round trip per chunk, within the parameter limit.
    per_statement = max(1, min(CHUNK, (db.features.max_query_params or 999) // len(fields)))
    with db.cursor() as cursor:
        for start in range(0, len(prepared), per_statement):
            chunk = prepared[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {target} VALUES " + ", ".join([row_placeholder] * len(chunk)),
                [value for values in chunk for value in values],
            )
    return len(prepared)


def select_pairs(model: type[models.Model], key: str, value: str, keys: Iterable[str]) -> dict[Any, Any]:
    """{key: value} for rows whose `key` column is in `keys`: for text keys and integer
    values, which need no conversion, without the ORM's per-value lookup preparation."""
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    meta = model._meta
    key_column, value_column = meta.get_field(key).column, meta.get_field(value).column
    wanted = list(keys)
    found: dict[Any, Any] = {}
    select = f"SELECT {quote(key_column)}, {quote(value_column)} FROM {quote(meta.db_table)} WHERE "
    with db.cursor() as cursor:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            if db.vendor == "postgresql":  # one array parameter: no long statement to parse
                cursor.execute(f"{select}{quote(key_column)} = ANY(%s)", [chunk])
            else:
                cursor.execute(f"{select}{quote(key_column)} IN ({', '.join(['%s'] * len(chunk))})", chunk)
            found.update(cursor.fetchall())
    return found
