"""Events as rows of the stores' tables and back, shared by the SQL-backed stores."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from operator import attrgetter
from typing import Any

import pyarrow as pa

from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent, utc
from shopstack.analytics.warehouse.layout import EVENTS

# Stored as microseconds since the epoch (UTC): sortable, exact, the same in every database.
TIME_FIELDS = frozenset(
    name for name in FIELD_NAMES if EVENTS.field(name).type == pa.timestamp("us", tz="UTC")
)
BOOL_FIELDS = frozenset(name for name in FIELD_NAMES if EVENTS.field(name).type == pa.bool_())
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(stamp: datetime) -> int:
    # Aware UTC times (all the collector makes) subtract without an offset lookup.
    delta = (stamp if stamp.tzinfo is UTC else utc(stamp)) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def day_of(stamp: datetime) -> str:
    return utc(stamp).date().isoformat()


_fields_of = attrgetter(*FIELD_NAMES)
# Positions in a row (after its leading day) of the fields stored converted.
_TIME_POSITIONS = tuple(1 + FIELD_NAMES.index(name) for name in TIME_FIELDS)
_BOOL_POSITIONS = tuple(1 + FIELD_NAMES.index(name) for name in BOOL_FIELDS)
# Fields given as StrEnum members (Kind, Channel, Device): stored as their plain text.
_TEXT_POSITIONS = tuple(1 + FIELD_NAMES.index(name) for name in ("kind", "channel", "device"))
_OCCURRED_AT = 1 + FIELD_NAMES.index("occurred_at")
_DAY_US = 86_400_000_000
_EPOCH_ORDINAL = _EPOCH.toordinal()
_day_names: dict[int, str] = {}  # days since the epoch -> "YYYY-MM-DD"
# The last time converted, with its microseconds and day: a page's events share theirs.
_last_time: tuple[object, int, str] = (None, 0, "")


def _time_and_day(stamp: datetime) -> tuple[int, str]:
    global _last_time
    last = _last_time
    if stamp is last[0]:
        return last[1], last[2]
    value = micros(stamp)
    number = value // _DAY_US
    day = _day_names.get(number)
    if day is None:
        if len(_day_names) > 1000:
            _day_names.clear()
        day = _day_names[number] = date.fromordinal(_EPOCH_ORDINAL + number).isoformat()
    _last_time = (stamp, value, day)
    return value, day


def event_row(event: AnalyticsEvent) -> tuple[Any, ...]:
    """(day, *fields in FIELD_NAMES order) with times in microseconds, booleans as 0/1 and
    only plain str, int and None values."""
    # Every web process's writer runs this once per event: the fields are read in one call
    # and only the few that need it converted.
    values: list[Any] = [None, *_fields_of(event)]
    for position in _TIME_POSITIONS:
        value = values[position]
        if value is not None:
            if position == _OCCURRED_AT:
                values[position], values[0] = _time_and_day(value)
            else:
                values[position] = micros(value)
    for position in _BOOL_POSITIONS:
        values[position] = int(bool(values[position]))
    for position in _TEXT_POSITIONS:
        values[position] = str(values[position])
    if values[0] is None:
        values[0] = day_of(event.occurred_at)  # no time: fails here, as an append must
    return tuple(values)


def rows_table(rows: Iterable[Sequence[Any]]) -> pa.Table:
    """Rows of FIELD_NAMES values (times in microseconds) as a table of the EVENTS schema."""
    columns = list(zip(*rows, strict=True)) or [() for _ in FIELD_NAMES]
    arrays = []
    for name, values in zip(FIELD_NAMES, columns, strict=True):
        kind = EVENTS.field(name).type
        column = [bool(value) for value in values] if name in BOOL_FIELDS else list(values)
        arrays.append(pa.array(column, type=pa.int64() if name in TIME_FIELDS else kind))
        if name in TIME_FIELDS:
            arrays[-1] = arrays[-1].cast(kind)
    return pa.Table.from_arrays(arrays, schema=EVENTS)


def events_table(events: Iterable[AnalyticsEvent]) -> pa.Table:
    """Events as a table of the warehouse's EVENTS schema."""
    return rows_table(event_row(event)[1:] for event in events)
