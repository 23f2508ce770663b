"""The browsing simulator on a small shop made of records (no database): consistency with the
orders, the funnel, the session rule, the schema, determinism and the labelling."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from shopstack.analytics.schema import REQUIRED_FIELDS, Kind
from shopstack.analytics.simulate.history import (
    CategoryRecord,
    LineRecord,
    OrderRecord,
    ProductRecord,
    history_build,
)
from shopstack.analytics.simulate.marker import MARKER, simulated_marker
from shopstack.analytics.simulate.params import SimulationParams
from shopstack.analytics.simulate.queries import words_of
from shopstack.analytics.simulate.run import SimulationError, simulate
from shopstack.analytics.tests.simulation_checks import (
    funnel,
    orders_consistency,
    read_events,
    session_rule_breaks,
)
from shopstack.analytics.warehouse import files
from shopstack.analytics.warehouse.files import Warehouse
from shopstack.analytics.warehouse.layout import EVENTS, events_path

START = datetime(2025, 3, 3, tzinfo=UTC)
WORDS = ("Red", "Blue", "Enamel", "Glass", "Wooden", "Vintage")
THINGS = ("Mug", "Lantern", "Teapot", "Cushion", "Notebook", "Candle Holder")


def _shop(orders: int = 300, days: int = 21, seed: int = 7) -> tuple[list, list, list]:
    """Records of a small shop: 36 products in 6 categories, 60 customers, guest orders, and
    the awkward cases: orders of one customer 10 minutes apart, exactly 30 minutes apart, at
    the same minute, an order just after midnight, and customers who order every day."""
    pick = random.Random(seed)
    categories = [CategoryRecord(100 + i, f"Range {i}", f"range-{i}") for i in range(6)]
    products = [
        ProductRecord(
            product_id=1000 + n,
            variant_id=5000 + n,
            category_id=100 + n % 6,
            name=f"{WORDS[n // 6]} {THINGS[n % 6]}",
            slug=f"{WORDS[n // 6]}-{THINGS[n % 6]}".lower().replace(" ", "-"),
            price_minor=250 + 50 * n,
        )
        for n in range(36)
    ]
    records = []

    def order(order_id: int, customer: int | None, at: datetime, country: str = "GB") -> None:
        lines = tuple(
            LineRecord(product.product_id, quantity := pick.randint(1, 6), quantity * product.price_minor)
            for product in pick.sample(products, pick.randint(1, 5))
        )
        value = sum(line.value_minor for line in lines) + 395
        records.append(OrderRecord(order_id, customer, at, country, value, "GBP", lines))

    for n in range(orders):
        at = START + timedelta(days=pick.randrange(days), hours=pick.uniform(8, 20))
        customer = None if n % 9 == 0 else pick.randrange(1, 61)
        order(1 + n, customer, at.replace(second=0, microsecond=0), pick.choice(["GB", "GB", "GB", "FR", ""]))
    base = START + timedelta(days=5, hours=10)
    order(9001, 900, base)
    order(9002, 900, base + timedelta(minutes=10))
    order(9003, 901, base)
    order(9004, 901, base + timedelta(minutes=30))
    order(9005, 902, base)
    order(9006, 902, base)
    order(9007, 903, START + timedelta(days=7, minutes=5))
    # Regulars who order every morning: their visits on the days before must keep clear.
    for regular in range(3):
        for day in range(14):
            order(
                9100 + 20 * regular + day,
                950 + regular,
                START + timedelta(days=day, hours=19, minutes=regular),
            )
    return records, products, categories


def _orders_expected(records: list[OrderRecord]) -> dict[int, dict]:
    return {
        record.order_id: {
            "customer_id": record.customer_id,
            "placed_at": record.placed_at,
            "value_minor": record.value_minor,
            "products": {line.product_id for line in record.lines},
        }
        for record in records
    }


@pytest.fixture(scope="module")
def shop():
    return _shop()


@pytest.fixture(scope="module")
def simulated(shop, tmp_path_factory):
    root = tmp_path_factory.mktemp("warehouse")
    report = simulate(history_build(*shop), str(root), params=SimulationParams(), seed=3)
    return root, report, read_events(root)


def test_every_order_has_one_order_placed_in_its_customers_visit_that_views_and_carts_its_products(
    shop, simulated
):
    _, report, events = simulated
    records = shop[0]

    assert orders_consistency(events, _orders_expected(records)) == []
    assert report.orders == len(records)


def test_orders_placed_minutes_apart_are_one_visit_and_half_an_hour_apart_two(simulated):
    events = simulated[2]
    placed = events.filter(pc.equal(events.column("kind"), "order_placed"))
    session = dict(
        zip(placed.column("order_id").to_pylist(), placed.column("session_id").to_pylist(), strict=True)
    )

    assert session[9001] == session[9002]
    assert session[9005] == session[9006]
    assert session[9003] != session[9004]


def test_a_customer_has_one_visitor_id_and_guests_each_their_own(shop, simulated):
    events = simulated[2]
    placed = events.filter(pc.equal(events.column("kind"), "order_placed"))
    visitors = {}
    for row in placed.select(["order_id", "customer_id", "visitor_id"]).to_pylist():
        visitors.setdefault(row["customer_id"] or f"guest {row['order_id']}", set()).add(row["visitor_id"])

    assert all(len(ids) == 1 for ids in visitors.values())
    guests = [ids.pop() for key, ids in visitors.items() if isinstance(key, str)]
    assert len(guests) == len(set(guests)) == sum(1 for record in shop[0] if record.customer_id is None)


def test_sessions_keep_the_session_rule(simulated):
    assert session_rule_breaks(simulated[2]) == []


def test_the_funnel_narrows_at_every_step_and_conversion_is_in_the_band(simulated):
    _, report, events = simulated
    counts = funnel(events)
    params = SimulationParams()

    assert counts == sorted(counts, reverse=True), counts
    assert counts[0] > counts[1] > counts[2] > counts[-1] > 0
    assert counts[0] == report.sessions
    rate = counts[-1] / counts[0]
    assert params.conversion_band[0] <= rate <= params.conversion_band[1]
    assert rate == pytest.approx(1 / params.sessions_per_order, rel=0.15)


def test_some_visits_bounce_some_return_and_some_carts_are_abandoned(simulated):
    events = simulated[2]
    human = events.filter(pc.invert(events.column("is_bot")))
    pages = {"page_view", "product_view", "list_view", "search"}
    per_session: dict[str, int] = {}
    visitor_sessions: dict[str, set[str]] = {}
    abandoned = set()
    ordered = set()
    for row in human.select(["session_id", "visitor_id", "kind"]).to_pylist():
        per_session[row["session_id"]] = per_session.get(row["session_id"], 0) + (row["kind"] in pages)
        visitor_sessions.setdefault(row["visitor_id"], set()).add(row["session_id"])
        if row["kind"] == "cart_add":
            abandoned.add(row["session_id"])
        if row["kind"] == "order_placed":
            ordered.add(row["session_id"])

    bounces = sum(1 for count in per_session.values() if count == 1)
    assert 0.3 < bounces / len(per_session) < 0.6
    assert sum(1 for sessions in visitor_sessions.values() if len(sessions) > 1) > 100
    assert len(abandoned - ordered) > len(ordered)


def test_bots_are_marked_and_never_shop(simulated):
    events = simulated[2]
    bots = events.filter(events.column("is_bot"))

    assert 0 < bots.num_rows < events.num_rows * 0.2
    assert set(bots.column("device").to_pylist()) == {"bot"}
    assert not {"cart_add", "checkout_step", "order_placed", "page_engagement"} & set(
        bots.column("kind").to_pylist()
    )
    humans = events.filter(pc.invert(events.column("is_bot")))
    assert "bot" not in set(humans.column("device").to_pylist())


def test_searches_come_from_product_names_and_some_find_nothing(shop, simulated):
    events = simulated[2]
    searches = events.filter(pc.equal(events.column("kind"), "search")).to_pylist()
    catalogue_words = {word for product in shop[1] for word in words_of(product.name)}

    nothing = [s for s in searches if s["result_count"] == 0]
    assert 0.03 < len(nothing) / len(searches) < 0.15
    assert all(not set(s["search_query"].split()) & catalogue_words for s in nothing)
    found = [s for s in searches if s["result_count"] > 0]
    assert all(set(s["search_query"].split()) <= catalogue_words for s in found)
    names = [set(words_of(product.name)) for product in shop[1]]
    for search in found[:50]:
        words = set(search["search_query"].split())
        assert search["result_count"] == sum(1 for name in names if words <= name)


def test_sources_devices_and_campaigns_are_a_realistic_mix(simulated):
    events = simulated[2]
    landing = events.filter(pc.not_equal(events.column("utm_medium"), "")).to_pylist()
    mediums = {row["utm_medium"] for row in landing}
    campaigns = {row["utm_campaign"] for row in landing}
    devices = set(events.column("device").to_pylist())
    referrers = set(events.column("referrer").to_pylist())

    assert mediums == {"email", "paid_social", "cpc"}
    assert {"newsletter-2025-03", "mothers-day-2025", "search-brand"} <= campaigns
    assert all(row["utm_term"] for row in landing if row["utm_medium"] == "cpc")
    assert devices == {"phone", "tablet", "desktop", "bot"}
    assert "https://www.google.com/" in referrers
    assert set(events.column("channel").to_pylist()) == {"web", "app"}


def test_files_have_the_events_schema_one_utc_day_each_sorted_with_every_required_field(simulated):
    root = simulated[0]
    files = sorted(Path(root).glob("events/day=*/events.parquet"))

    assert files
    for file in files:
        table = pq.read_table(file)
        day = file.parent.name.removeprefix("day=")
        assert table.schema.equals(EVENTS), file
        assert {stamp.date().isoformat() for stamp in table.column("occurred_at").to_pylist()} == {day}
        keys = list(
            zip(table.column("occurred_at").to_pylist(), table.column("event_id").to_pylist(), strict=True)
        )
        assert keys == sorted(keys)
    events = simulated[2]
    for kind, required in REQUIRED_FIELDS.items():
        of_kind = events.filter(pc.equal(events.column("kind"), kind.value))
        for name in required:
            values = of_kind.column(name)
            assert values.null_count == 0, (kind, name)
            if pa.types.is_string(values.type):
                assert pc.sum(pc.equal(values, "")).as_py() in (None, 0), (kind, name)
    assert not list(Path(root).rglob(".tmp-*"))


def test_engaged_time_is_the_time_from_a_page_to_its_beacon(simulated):
    events = simulated[2].sort_by(
        [("session_id", "ascending"), ("occurred_at", "ascending"), ("event_id", "ascending")]
    )
    last_page = {}
    checked = 0
    for row in events.select(["session_id", "kind", "occurred_at", "engaged_ms", "path"]).to_pylist():
        if row["kind"] in {"page_view", "product_view", "list_view", "search"}:
            last_page[row["session_id"]] = row
        elif row["kind"] == Kind.PAGE_ENGAGEMENT:
            page = last_page[row["session_id"]]
            assert row["path"] == page["path"]
            assert row["engaged_ms"] == (row["occurred_at"] - page["occurred_at"]) // timedelta(
                milliseconds=1
            )
            checked += 1
    assert checked > 1000


def test_every_simulated_event_is_labelled_and_the_marker_names_the_days(simulated):
    root, report, events = simulated
    marker = simulated_marker(str(root))

    assert pc.all(pc.starts_with(events.column("event_id"), "sim-")).as_py()
    assert len(set(events.column("event_id").to_pylist())) == events.num_rows
    assert pc.all(pc.starts_with(events.column("session_id"), "sim-")).as_py()
    assert pc.all(pc.starts_with(events.column("visitor_id"), "sim-")).as_py()
    assert marker["event_id_prefix"] == "sim-"
    assert marker["generator_version"]
    assert marker["mode"] == "demo"
    assert marker["complete"] is True
    assert marker["seed"] == 3
    days = sorted(
        path.parent.name.removeprefix("day=") for path in Path(root).glob("events/*/events.parquet")
    )
    assert marker["simulated_days"] == days
    assert (marker["first_day"], marker["last_day"]) == (days[0], days[-1])
    assert marker["events"] == events.num_rows == report.events
    assert "simulated" in marker["notice"]


def test_an_order_just_after_midnight_begins_its_visit_in_the_day_before_and_its_file(simulated):
    root, _, events = simulated
    placed = events.filter(pc.equal(events.column("order_id"), 9007)).to_pylist()[0]
    midnight = START + timedelta(days=7)
    before = read_events_of_day(root, (midnight - timedelta(days=1)).date().isoformat())
    visit_before = before.filter(pc.equal(before.column("session_id"), placed["session_id"]))

    assert placed["occurred_at"] == midnight + timedelta(minutes=5)
    # With this seed the visit took longer than five minutes (the simulation is seeded).
    assert visit_before.num_rows > 0
    assert all(stamp < midnight for stamp in visit_before.column("occurred_at").to_pylist())


def test_busier_order_days_have_more_visits(shop, simulated):
    events = simulated[2]
    orders_per_day: dict = {}
    for record in shop[0]:
        orders_per_day[record.placed_at.date()] = orders_per_day.get(record.placed_at.date(), 0) + 1
    sessions_per_day: dict = {}
    for row in (
        events.filter(pc.invert(events.column("is_bot"))).select(["session_id", "occurred_at"]).to_pylist()
    ):
        sessions_per_day.setdefault(row["occurred_at"].date(), set()).add(row["session_id"])
    busiest = max(orders_per_day, key=orders_per_day.get)
    quietest = min(orders_per_day, key=orders_per_day.get)

    assert len(sessions_per_day[busiest]) > 1.5 * len(sessions_per_day[quietest])


def read_events_of_day(root: Path, day: str) -> pa.Table:
    return pq.read_table(root / "events" / f"day={day}" / "events.parquet")


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() for path in sorted(root.glob("events/*/*.parquet"))
    }


def test_the_same_seed_gives_the_same_events_and_another_seed_others(tmp_path):
    records, products, categories = _shop(orders=80, days=7)
    for name, seed in (("one", 11), ("two", 11), ("three", 12)):
        simulate(
            history_build(records, products, categories),
            str(tmp_path / name),
            params=SimulationParams(),
            seed=seed,
        )

    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert _files(tmp_path / "one") != _files(tmp_path / "three")
    first = json.loads((tmp_path / "one" / MARKER).read_text())
    assert first["events"] == json.loads((tmp_path / "two" / MARKER).read_text())["events"]


def test_more_sessions_per_order_lowers_the_conversion_rate(tmp_path):
    records, products, categories = _shop(orders=80, days=7)
    report = simulate(
        history_build(records, products, categories),
        str(tmp_path),
        params=SimulationParams(sessions_per_order=80),
        seed=1,
    )

    assert report.conversion_rate == pytest.approx(1 / 80, rel=0.15)


def test_a_warehouse_with_events_is_refused_unless_replacing_and_real_days_are_never_touched(tmp_path):
    records, products, categories = _shop(orders=40, days=5)
    history = history_build(records, products, categories)
    simulate(history, str(tmp_path), params=SimulationParams(), seed=1)
    before = _files(tmp_path)

    with pytest.raises(SimulationError) as refused:
        simulate(history, str(tmp_path), params=SimulationParams(), seed=2)
    assert "root" in refused.value.errors
    assert _files(tmp_path) == before

    report = simulate(history, str(tmp_path), params=SimulationParams(), seed=2, replace=True)

    assert report.deleted_days == len(before)
    assert _files(tmp_path) != before
    assert simulated_marker(str(tmp_path))["seed"] == 2


def test_a_day_with_recorded_events_is_kept_and_stops_a_simulation_over_it(tmp_path):
    records, products, categories = _shop(orders=40, days=5)
    day = START.date().isoformat()
    real = tmp_path / "events" / f"day={day}" / "events.parquet"
    real.parent.mkdir(parents=True)
    row = {field.name: None for field in EVENTS}
    row.update(event_id="real-1", kind="page_view", occurred_at=START + timedelta(hours=9), schema_version=1)
    pq.write_table(pa.Table.from_pylist([row], schema=EVENTS), real)

    with pytest.raises(SimulationError) as refused:
        simulate(
            history_build(records, products, categories),
            str(tmp_path),
            params=SimulationParams(),
            seed=1,
            replace=True,
        )

    assert day in refused.value.errors["root"]
    assert pq.read_table(real).column("event_id").to_pylist() == ["real-1"]
    assert simulated_marker(str(tmp_path)) is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sessions_per_order": 1}, "sessions_per_order"),
        ({"bot_share": 1.5}, "bot_share"),
        ({"depth_shares": (0.5, 0.4)}, "depth_shares"),
    ],
)
def test_bad_parameters_are_refused_by_field_and_write_nothing(tmp_path, change, field):
    records, products, categories = _shop(orders=20, days=3)

    with pytest.raises(SimulationError) as refused:
        simulate(
            history_build(records, products, categories),
            str(tmp_path),
            params=SimulationParams(**change),
            seed=1,
        )

    assert field in refused.value.errors
    assert list(tmp_path.iterdir()) == []


def test_no_orders_or_no_products_is_refused(tmp_path):
    records, products, categories = _shop(orders=20, days=3)

    with pytest.raises(SimulationError) as no_orders:
        simulate(history_build([], products, categories), str(tmp_path), params=SimulationParams(), seed=1)
    with pytest.raises(SimulationError) as no_products:
        simulate(history_build(records, [], categories), str(tmp_path), params=SimulationParams(), seed=1)

    assert "orders" in no_orders.value.errors
    assert "catalog" in no_products.value.errors


def test_visits_start_through_the_day_busiest_in_the_evening_and_none_run_past_midnight(simulated):
    events = simulated[2]
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    ordering = set(
        events.filter(pc.equal(events.column("kind"), "order_placed")).column("session_id").to_pylist()
    )
    for row in events.select(["session_id", "occurred_at"]).to_pylist():
        first.setdefault(row["session_id"], row["occurred_at"])
        last[row["session_id"]] = row["occurred_at"]
    browsing = [session for session in first if session not in ordering]
    hours = [first[session].hour for session in browsing]

    assert len(set(hours)) == 24
    assert sum(18 <= hour < 22 for hour in hours) > 5 * sum(2 <= hour < 6 for hour in hours)
    assert all(first[session].date() == last[session].date() for session in browsing)
    assert all(first[session].time() >= datetime.min.replace(minute=30).time() for session in browsing)


def test_a_customer_looking_around_before_an_order_views_what_they_buy_next(shop, simulated):
    events = simulated[2]
    orders_of: dict[int, list[OrderRecord]] = {}
    for record in sorted(shop[0], key=lambda record: record.placed_at):
        if record.customer_id is not None:
            orders_of.setdefault(record.customer_id, []).append(record)
    ordering = set(
        events.filter(pc.equal(events.column("kind"), "order_placed")).column("session_id").to_pylist()
    )
    views = events.filter(
        pc.and_(pc.equal(events.column("kind"), "product_view"), pc.is_valid(events.column("customer_id")))
    ).to_pylist()
    hits = total = 0
    for view in views:
        if view["session_id"] in ordering:
            continue
        at = view["occurred_at"]
        coming = [r for r in orders_of[view["customer_id"]] if at < r.placed_at <= at + timedelta(days=15)]
        total += 1
        hits += view["product_id"] in {line.product_id for record in coming for line in record.lines}

    assert total > 100
    # By chance (products viewed as often as they sell) about 22% in this shop; half of a
    # returning visit's views are chosen from the order it leads up to.
    assert hits / total > 0.4


def test_a_run_that_stops_half_way_leaves_its_days_marked_as_simulated(tmp_path, monkeypatch):
    records, products, categories = _shop(orders=60, days=6)
    written = []

    def write_two_then_fail(where, path, schema, parts, **options):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(path)
        return run_write(where, path, schema, parts, **options)

    run_write = Warehouse.write  # the warehouse's one Parquet writer (the marker is no Parquet file)
    monkeypatch.setattr(Warehouse, "write", write_two_then_fail)

    with pytest.raises(OSError, match="disk full"):
        simulate(
            history_build(records, products, categories), str(tmp_path), params=SimulationParams(), seed=1
        )

    marker = simulated_marker(str(tmp_path))
    days = sorted(path.parent.name.removeprefix("day=") for path in tmp_path.glob("events/*/events.parquet"))
    assert len(days) == 2
    assert marker["complete"] is False
    assert set(days) <= set(marker["simulated_days"])


def test_a_simulated_day_is_written_by_the_warehouse_writer_byte_for_byte(tmp_path, monkeypatch):
    # One writer for the simulator and compaction (warehouse/files.py): the same row groups,
    # the same encodings, so compaction rewriting a simulated day's rows gives its very bytes.
    monkeypatch.setattr(files, "ROW_GROUP_ROWS", 500)
    records, products, categories = _shop(orders=80, days=7)
    simulate(history_build(records, products, categories), str(tmp_path), params=SimulationParams(), seed=3)
    where = files.warehouse(str(tmp_path))
    days = where.event_days()
    busiest = max(days, key=lambda day: pq.ParquetFile(events_path(str(tmp_path), day)).metadata.num_rows)
    path = events_path(where.root, busiest)
    metadata = pq.ParquetFile(path).metadata
    assert metadata.num_rows > 1000
    assert metadata.num_row_groups == -(-metadata.num_rows // 500)
    assert pq.ParquetFile(path).schema_arrow.equals(EVENTS)  # text as text, not dictionary codes

    rows = where.read(path, EVENTS)
    where.write(f"{where.root}/again.parquet", EVENTS, rows.to_batches(max_chunksize=333))

    assert where.read_bytes(f"{where.root}/again.parquet") == where.read_bytes(path)
    assert not [item for item in tmp_path.rglob("*") if item.name.endswith(files.TEMPORARY_SUFFIX)]
