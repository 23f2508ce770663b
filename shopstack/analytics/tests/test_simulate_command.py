"""`manage.py analytics_simulate` on a shop in the database: the imported orders' browsing,
labelled and consistent; a second run that leaves it alone; bad input refused; scale mode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from shopstack.analytics.simulate.marker import simulated_marker
from shopstack.analytics.tests.simulation_checks import (
    funnel,
    orders_consistency,
    read_events,
    session_rule_breaks,
)
from shopstack.analytics.warehouse.layout import DAILY_FACTS, DIMS, EVENTS, FACTS
from shopstack.orders.models import Order, OrderLine
from shopstack.testing.customer_orders import make_customer, make_order
from shopstack.testing.factories import make_category, make_product

START = datetime(2011, 3, 7, 9, 0, tzinfo=UTC)


def _order(products, quantities, *, customer=None, at, kind=Order.Kind.ORDER, source="import", country="GB"):
    order = make_order(
        customer=customer,
        email=None if customer else "",
        lines=[
            (product.name, quantity, str(product.price_amount))
            for product, quantity in zip(products, quantities, strict=True)
        ],
        shipping="3.95",
        status=Order.Status.COMPLETED,
        placed_at=at,
        source=source,
        address=False,
        kind=kind,
    )
    for line, product in zip(order.lines.order_by("pk"), products, strict=True):
        line.variant = product.variants.get()
        line.save(update_fields=["variant"])
    Order.objects.filter(pk=order.pk).update(country=country)
    return order


@pytest.fixture
def shop(db):
    mugs, lights = make_category(name="Mugs"), make_category(name="Lights")
    products = [
        make_product(name="Red Spotty Mug", price="2.95", category=mugs),
        make_product(name="Blue Enamel Mug", price="3.50", category=mugs),
        make_product(name="White Metal Lantern", price="4.25", category=lights),
        make_product(name="Glass Star Lantern", price="6.00", category=lights),
        make_product(name="Heart T-Light Holder", price="2.55", category=lights),
    ]
    ann, bob = make_customer("ann@example.com"), make_customer("bob@example.com")
    imported = []
    for day in range(10):
        at = START + timedelta(days=day, hours=day % 7)
        imported.append(
            _order(products[day % 3 : day % 3 + 2], [day + 1, 2], customer=ann if day % 2 else bob, at=at)
        )
    imported.append(
        _order(products[3:], [1, 4], at=START + timedelta(days=3, hours=5), country="United Kingdom")
    )
    imported.append(
        _order(products[:1], [6], customer=ann, at=START + timedelta(days=4, hours=2, minutes=10))
    )
    cancellation = _order(
        products[:1], [1], customer=bob, at=START + timedelta(days=2), kind=Order.Kind.CANCELLATION
    )
    placed_in_shop = _order(products[1:2], [1], customer=bob, at=START + timedelta(days=5), source="shop")
    return {"imported": imported, "other": [cancellation, placed_in_shop], "products": products}


def _expected(orders: list[Order]) -> dict[int, dict]:
    return {
        order.pk: {
            "customer_id": order.customer_id,
            "placed_at": order.placed_at,
            "value_minor": int(order.total_amount * 100),
            "products": set(
                OrderLine.objects.filter(order=order).values_list("variant__product_id", flat=True)
            ),
        }
        for order in orders
    }


def _files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*.parquet"))}


def test_every_imported_order_gets_its_visit_and_other_orders_none(shop, tmp_path):
    call_command("analytics_simulate", root=str(tmp_path), seed=5, verbosity=0)
    events = read_events(tmp_path)

    assert orders_consistency(events, _expected(shop["imported"])) == []
    assert session_rule_breaks(events) == []
    counts = funnel(events)
    assert counts == sorted(counts, reverse=True)
    assert counts[-1] == len(shop["imported"])
    placed = events.filter(pc.equal(events.column("kind"), "order_placed"))
    guest = placed.filter(pc.is_null(placed.column("customer_id"))).to_pylist()
    assert [row["country"] for row in guest] == ["GB"]  # "United Kingdom" on the order
    assert all(pq.read_schema(file).equals(EVENTS) for file in tmp_path.glob("events/*/*.parquet"))
    marker = simulated_marker(str(tmp_path))
    assert marker["mode"] == "demo"
    assert marker["orders_with_sessions"] == len(shop["imported"])
    assert marker["first_day"] <= START.date().isoformat() <= marker["last_day"]


def test_with_if_empty_a_second_run_leaves_the_warehouse_as_it_was(shop, tmp_path):
    call_command("analytics_simulate", root=str(tmp_path), verbosity=0)
    before = _files(tmp_path)
    marker = (tmp_path / "SIMULATED.json").read_bytes()

    call_command("analytics_simulate", root=str(tmp_path), if_empty=True, seed=99, verbosity=0)

    assert before
    assert _files(tmp_path) == before
    assert (tmp_path / "SIMULATED.json").read_bytes() == marker
    with pytest.raises(CommandError, match=r"--root: .*already holds events"):
        call_command("analytics_simulate", root=str(tmp_path), verbosity=0)


def test_replace_makes_them_again_from_another_seed(shop, tmp_path):
    call_command("analytics_simulate", root=str(tmp_path), seed=1, verbosity=0)
    before = _files(tmp_path)

    call_command("analytics_simulate", root=str(tmp_path), seed=2, replace=True, verbosity=0)

    assert _files(tmp_path) != before
    assert simulated_marker(str(tmp_path))["seed"] == 2
    assert orders_consistency(read_events(tmp_path), _expected(shop["imported"])) == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sessions_per_order": 1}, "--sessions-per-order: must be between 2 and 10,000"),
        ({"scale": True, "events": 1000}, "--scale needs --orders"),
        ({"events": 1000, "orders": 10}, "--events and --orders go with --scale"),
        ({"scale": True, "events": 1000, "orders": 0, "root_own": True}, "--orders: must be at least 1"),
        ({"scale": True, "events": 1000, "orders": 10, "root_default": True}, "--root: a made-up shop"),
    ],
)
def test_bad_input_is_refused_with_the_option_named_and_nothing_written(
    shop, tmp_path, settings, options, message
):
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path / "shop")
    root = str(tmp_path / "shop") if options.pop("root_default", False) else str(tmp_path / "own")
    options.pop("root_own", None)

    with pytest.raises(CommandError, match=message):
        call_command("analytics_simulate", root=root, verbosity=0, **options)

    assert list(tmp_path.rglob("*.parquet")) == []
    assert not list(tmp_path.rglob("SIMULATED.json"))


def test_scale_mode_writes_exactly_the_events_and_orders_asked_for(tmp_path):
    root = tmp_path / "bench"
    call_command(
        "analytics_simulate",
        scale=True,
        events=40_000,
        orders=1_500,
        products=300,
        days=20,
        root=str(root),
        verbosity=0,
    )
    events = read_events(root)
    facts = {
        name: pq.read_table(root / "facts" / f"{name}.parquet") for name in FACTS if name not in DAILY_FACTS
    }
    dims = {name: pq.read_table(root / "dims" / f"{name}.parquet") for name in DIMS}

    assert events.num_rows == 40_000
    assert facts["orders"].num_rows == 1_500
    assert all(facts[name].schema.equals(FACTS[name]) for name in facts)
    assert not (root / "facts" / "stock_levels").exists()
    assert all(dims[name].schema.equals(DIMS[name]) for name in DIMS)
    placed = events.filter(pc.equal(events.column("kind"), "order_placed"))
    assert 0 < placed.num_rows <= 1_500
    order_ids = set(facts["orders"].column("order_id").to_pylist())
    assert set(placed.column("order_id").to_pylist()) <= order_ids
    assert set(facts["order_lines"].column("order_id").to_pylist()) == order_ids
    assert set(facts["order_lines"].column("product_id").to_pylist()) <= set(
        dims["products"].column("product_id").to_pylist()
    )
    assert session_rule_breaks(events) == []
    marker = simulated_marker(str(root))
    assert marker["mode"] == "scale"
    assert marker["events"] == 40_000
    assert marker["facts_orders"] == 1_500
