"""What every event store must do. One contract suite (analytics/tests/test_store_contract.py)
runs against each backend.

The store is the durable append log in front of the warehouse. Collection appends to it
and never reads; compaction reads one UTC day at a time, writes that day's Parquet file,
then deletes what it read. Events are kept as given: a repeated event id is stored twice
and compaction keeps one, so an append that is retried (a client resending a batch, an
outbox handler run twice) never needs to know whether the first attempt landed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from shopstack.analytics.schema import AnalyticsEvent


@dataclass(frozen=True)
class DayBatch:
    """The events of one UTC day held by the store when it was read (`events` has the
    warehouse's EVENTS schema). `receipt` is the store's own note of which rows were read:
    deleting the batch deletes those rows and leaves anything appended since."""

    day: str
    events: pa.Table
    receipt: object


class EventStore:
    def append(self, events: Sequence[AnalyticsEvent]) -> None:
        """Store `events` durably (in one transaction: all of them or none)."""
        raise NotImplementedError("EventStore subclasses must implement append()")

    def days(self) -> list[str]:
        """The UTC days (YYYY-MM-DD, ascending) of the events waiting for compaction."""
        raise NotImplementedError("EventStore subclasses must implement days()")

    def read_day(self, day: str) -> DayBatch:
        """Every waiting event whose occurred_at falls on the UTC day `day`."""
        raise NotImplementedError("EventStore subclasses must implement read_day()")

    def delete(self, batch: DayBatch) -> int:
        """Forget the events read into `batch` (once its Parquet file is safely written);
        returns how many were deleted. Deleting a batch twice deletes nothing the second time."""
        raise NotImplementedError("EventStore subclasses must implement delete()")

    def count(self) -> int:
        """Events waiting, all days together."""
        raise NotImplementedError("EventStore subclasses must implement count()")

    def clear(self) -> None:
        """Forget every waiting event (tests)."""
        raise NotImplementedError("EventStore subclasses must implement clear()")

    def ping(self) -> bool:
        """True when the store answers (the readiness probe asks)."""
        raise NotImplementedError("EventStore subclasses must implement ping()")

    def close(self) -> None:
        """Let go of this thread's connection (the next call opens another): tests close it
        before their database is dropped."""
