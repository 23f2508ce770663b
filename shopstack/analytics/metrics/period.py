"""The time and filters a question is asked for: a range of the shop's own days, compared
with the range just before it, narrowed by country, category, channel and device.

Days are the shop's (settings.TIME_ZONE), not UTC: an order at 23:30 UTC in a shop at UTC+2
counts on the next day. The warehouse stores UTC; a period turns its days into UTC instants
here, in Python, and `local_date` shifts each time by the zone's offset in force then (a
CASE over the few daylight-saving changes inside the period), so both engines agree
without a time zone database of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir


@dataclass(frozen=True)
class Filters:
    country: str = ""  # ISO alpha-2
    category_id: int | None = None  # the category or any below it
    channel: str = ""  # web, app
    device: str = ""  # phone, tablet, desktop, other

    def any(self) -> bool:
        return bool(self.country or self.category_id or self.channel or self.device)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    tz: str = "UTC"
    filters: Filters = field(default_factory=Filters)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period ends on or after its start.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        return Period(
            start=self.start - timedelta(days=self.days),
            end=self.start - timedelta(days=1),
            tz=self.tz,
            filters=self.filters,
        )

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[first instant, instant after the last) of the period, in UTC."""
        zone = ZoneInfo(self.tz)
        first = datetime.combine(self.start, time.min, tzinfo=zone).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
        return first, after

    def utc_days(self) -> tuple[date, date]:
        """The UTC dates the period touches (for skipping day partitions)."""
        first, after = self.utc_bounds()
        return first.date(), (after - timedelta(microseconds=1)).date()

    def local_date(self, stamp: ir.TimestampValue) -> ir.DateValue:
        """The shop's calendar date of a UTC time inside this period."""
        first, after = self.utc_bounds()
        pieces = _offsets(ZoneInfo(self.tz), first, after)
        if len(pieces) == 1:
            return _shifted(stamp, pieces[0][1]).date()
        branches = [(stamp < ibis.literal(until), _shifted(stamp, offset)) for until, offset in pieces[:-1]]
        return ibis.cases(*branches, else_=_shifted(stamp, pieces[-1][1])).date()

    def contains(self, stamp: ir.TimestampValue) -> ir.BooleanValue:
        first, after = self.utc_bounds()
        return (stamp >= ibis.literal(first)) & (stamp < ibis.literal(after))


def _shifted(stamp: ir.TimestampValue, seconds: int) -> ir.TimestampValue:
    return stamp if seconds == 0 else stamp + ibis.interval(seconds=seconds)


def _offsets(zone: ZoneInfo, first: datetime, after: datetime) -> list[tuple[datetime, int]]:
    """[(until, offset seconds)] covering [first, after): each offset holds until `until`."""
    pieces: list[tuple[datetime, int]] = []
    hour = timedelta(hours=1)
    cursor = first
    offset = _offset(zone, cursor)
    while cursor < after:
        step = cursor + hour
        if step > after:
            step = after
        next_offset = _offset(zone, step) if step < after else offset
        if next_offset != offset:
            change = _first_instant_with(zone, next_offset, cursor, step)
            pieces.append((change, offset))
            offset = next_offset
        cursor = step
    pieces.append((after, offset))
    return pieces


def _first_instant_with(zone: ZoneInfo, offset: int, low: datetime, high: datetime) -> datetime:
    """The first second in (low, high] at which `zone`'s offset is `offset` (changes fall
    on whole seconds, often not on whole hours of UTC)."""
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            break
        if _offset(zone, middle) == offset:
            high = middle
        else:
            low = middle
    return high


def _offset(zone: ZoneInfo, instant: datetime) -> int:
    delta = instant.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0
