"""The contract every event store keeps, run against each backend that can run here."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from shopstack.analytics.schema import FIELD_NAMES, AnalyticsEvent, Kind
from shopstack.analytics.store.base import EventStore
from shopstack.analytics.store.postgres import PostgresEventStore
from shopstack.analytics.store.sqlite_file import SqliteFileEventStore

DAY = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


def _make(kind: str, tmp_path) -> EventStore:
    if kind == "sqlite_file":
        return SqliteFileEventStore(str(tmp_path / "events.sqlite3"))
    if _postgres_url() is None:
        pytest.skip("the PostgreSQL store runs on the scale-out tier (DATABASE_URL=postgres://...)")
    # The shop's own (test) database, as the settings choose when no store URL is given.
    return PostgresEventStore(table=f"analytics_contract_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite_file", "postgres"])
def store(request, tmp_path, transactional_db):
    made = _make(request.param, tmp_path)
    yield made
    if isinstance(made, PostgresEventStore):
        made._connection().execute(f"DROP TABLE IF EXISTS {made.table}")


def _event(**fields) -> AnalyticsEvent:
    fields.setdefault("kind", Kind.PAGE_VIEW)
    fields.setdefault("occurred_at", DAY)
    return AnalyticsEvent(**fields)


def test_an_event_comes_back_with_every_field_as_it_was_given(store):
    given = _event(
        kind=Kind.CART_ADD,
        occurred_at=datetime(2026, 3, 14, 23, 59, 59, 999_999, tzinfo=UTC),
        received_at=datetime(2026, 3, 15, 0, 0, 1, tzinfo=UTC),
        visitor_id="v-1",
        session_id="s-1",
        customer_id=42,
        consent=True,
        channel="app",
        device="phone",
        country="GB",
        path="/p/mug/",
        referrer="https://example.org/",
        utm_source="newsletter",
        product_id=7,
        variant_id=70,
        quantity=2,
        value_minor=1299,
        currency="GBP",
        search_query="mug “ceramic”",
    )
    store.append([given])

    batch = store.read_day("2026-03-14")

    assert batch.events.num_rows == 1
    row = batch.events.to_pylist()[0]
    assert row == {name: getattr(given, name) for name in FIELD_NAMES}


def test_events_are_kept_by_the_utc_day_they_happened(store):
    store.append(
        [
            _event(occurred_at=datetime(2026, 3, 14, 23, 59, tzinfo=UTC), visitor_id="late"),
            # 00:30 in Paris is still the 14th in UTC... and 01:30 in Paris is the 15th's 00:30 UTC.
            _event(
                occurred_at=datetime(2026, 3, 15, 1, 30, tzinfo=UTC).astimezone(
                    __import__("zoneinfo").ZoneInfo("Europe/Paris")
                ),
                visitor_id="paris",
            ),
            _event(occurred_at=datetime(2026, 3, 13, 0, 0, tzinfo=UTC), visitor_id="early"),
        ]
    )

    assert store.days() == ["2026-03-13", "2026-03-14", "2026-03-15"]
    assert [row["visitor_id"] for row in store.read_day("2026-03-14").events.to_pylist()] == ["late"]
    assert [row["visitor_id"] for row in store.read_day("2026-03-15").events.to_pylist()] == ["paris"]
    assert store.read_day("2026-03-16").events.num_rows == 0


def test_a_repeated_event_is_stored_again_for_compaction_to_drop(store):
    event = _event(visitor_id="twice")
    store.append([event])
    store.append([event])

    ids = store.read_day("2026-03-14").events.column("event_id").to_pylist()

    assert ids == [event.event_id, event.event_id]


def test_deleting_a_batch_keeps_what_was_appended_after_the_read(store):
    store.append(
        [_event(visitor_id="first"), _event(visitor_id="other-day", occurred_at=DAY - timedelta(days=1))]
    )
    batch = store.read_day("2026-03-14")
    store.append([_event(visitor_id="after the read")])

    assert store.delete(batch) == 1
    assert store.delete(batch) == 0

    left = store.read_day("2026-03-14").events.column("visitor_id").to_pylist()
    assert left == ["after the read"]
    assert store.count() == 2


def test_an_append_is_all_or_nothing(store):
    good = _event(visitor_id="good")
    bad = _event(visitor_id="bad", occurred_at="not a time")  # type: ignore[arg-type]

    with pytest.raises(Exception):  # noqa: B017 - each store fails in its own words
        store.append([good, bad])

    assert store.count() == 0


def test_clear_and_ping(store):
    store.append([_event()])
    assert store.ping() is True

    store.clear()

    assert store.count() == 0
    assert store.days() == []


def _append_many(kind: str, where: str, worker: int, count: int) -> None:
    store = SqliteFileEventStore(where) if kind == "sqlite_file" else PostgresEventStore(*where.split("|"))
    for number in range(count):
        store.append([_event(visitor_id=f"w{worker}", event_id=f"w{worker}-{number}")])


def test_processes_appending_at_once_lose_nothing(store):
    if isinstance(store, SqliteFileEventStore):
        kind, where = "sqlite_file", str(store.path)
    else:
        info = store._connection().info
        url = f"postgresql://{info.user}@{info.host}:{info.port}/{info.dbname}"
        kind, where = "postgres", f"{url}|{store.table}"
    store.count()  # the table exists before the writers race to create it
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(kind, where, worker, 150)) for worker in range(3)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=300)
        assert process.exitcode == 0

    ids = store.read_day("2026-03-14").events.column("event_id").to_pylist()

    assert sorted(ids) == sorted(f"w{worker}-{number}" for worker in range(3) for number in range(150))


def test_the_test_settings_give_each_process_its_own_store():
    options = settings.ANALYTICS_EVENT_STORE["OPTIONS"]
    if settings.ANALYTICS_EVENT_STORE["BACKEND"].endswith("SqliteFileEventStore"):
        assert str(os.getpid()) in options["path"]
    else:
        assert options == {}  # the table lives in this process's own test database
    assert str(os.getpid()) in settings.ANALYTICS_WAREHOUSE_ROOT
    assert settings.ANALYTICS_WAREHOUSE_ROOT.startswith(tempfile.gettempdir())
