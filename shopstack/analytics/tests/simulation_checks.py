"""Reading a warehouse's simulated events back, and the consistency rules they must keep:
shared by the simulator's tests with and without the database."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shopstack.analytics.schema import CHECKOUT_STEPS

GAP = timedelta(minutes=30)


def read_events(root: Path | str) -> pa.Table:
    files = sorted(Path(root).glob("events/day=*/events.parquet"))
    return pa.concat_tables([pq.read_table(file) for file in files])


def rows(table: pa.Table, *columns: str) -> list[dict]:
    return table.select(list(columns)).to_pylist()


def funnel(table: pa.Table) -> list[int]:
    """Human sessions; with a product view; with a cart add; reaching each checkout step; orders."""
    human = table.filter(pc.invert(table.column("is_bot")))
    reached: dict[str, set[str]] = defaultdict(set)
    for row in rows(human, "session_id", "kind", "checkout_step"):
        reached["session"].add(row["session_id"])
        reached[row["kind"]].add(row["session_id"])
        if row["checkout_step"]:
            reached[row["checkout_step"]].add(row["session_id"])
    orders = pc.sum(pc.equal(human.column("kind"), "order_placed")).as_py() or 0
    return [
        len(reached["session"]),
        len(reached["product_view"]),
        len(reached["cart_add"]),
        *(len(reached[step]) for step in CHECKOUT_STEPS),
        orders,
    ]


def orders_consistency(table: pa.Table, orders: dict[int, dict]) -> list[str]:
    """What breaks "every order has exactly one order_placed event, at its placed_at, in a
    session of its customer's visitor that also views and carts each of its products".
    `orders` maps order id -> {"customer_id", "placed_at", "value_minor", "products"}."""
    problems = []
    placed = table.filter(pc.equal(table.column("kind"), "order_placed"))
    by_order = Counter(placed.column("order_id").to_pylist())
    sessions: dict[str, list[dict]] = defaultdict(list)
    for row in rows(table, "session_id", "kind", "product_id", "visitor_id", "customer_id"):
        sessions[row["session_id"]].append(row)
    visitor_of_customer: dict[int, set[str]] = defaultdict(set)
    for row in rows(
        placed, "order_id", "session_id", "visitor_id", "customer_id", "occurred_at", "value_minor"
    ):
        order = orders.get(row["order_id"])
        if order is None:
            problems.append(f"order_placed for unknown order {row['order_id']}")
            continue
        if row["customer_id"] != order["customer_id"]:
            problems.append(
                f"order {row['order_id']}: customer {row['customer_id']} != {order['customer_id']}"
            )
        if order["customer_id"] is not None:
            visitor_of_customer[order["customer_id"]].add(row["visitor_id"])
        if row["occurred_at"] != order["placed_at"]:
            problems.append(
                f"order {row['order_id']}: placed at {row['occurred_at']} != {order['placed_at']}"
            )
        if row["value_minor"] != order["value_minor"]:
            problems.append(f"order {row['order_id']}: value {row['value_minor']} != {order['value_minor']}")
        events = sessions[row["session_id"]]
        if {event["visitor_id"] for event in events} != {row["visitor_id"]}:
            problems.append(f"order {row['order_id']}: its session has other visitors")
        viewed = {event["product_id"] for event in events if event["kind"] == "product_view"}
        carted = {event["product_id"] for event in events if event["kind"] == "cart_add"}
        if not order["products"] <= viewed or not order["products"] <= carted:
            problems.append(f"order {row['order_id']}: products not viewed and carted in its session")
    for order_id in orders:
        if by_order[order_id] != 1:
            problems.append(f"order {order_id}: {by_order[order_id]} order_placed events")
    for customer_id, visitors in visitor_of_customer.items():
        if len(visitors) != 1:
            problems.append(f"customer {customer_id} has {len(visitors)} visitor ids")
    return problems


def session_rule_breaks(table: pa.Table) -> list[str]:
    """Sessions that the session rule would cut or join: a gap of 30 minutes inside one, or a
    visitor's next session starting sooner than 30 minutes after the last one ended, or a
    session id shared by two visitors."""
    problems = []
    spans: dict[str, list] = {}
    visitors: dict[str, str] = {}
    ordered = table.sort_by(
        [("session_id", "ascending"), ("occurred_at", "ascending"), ("event_id", "ascending")]
    )
    last: dict[str, object] = {}
    for row in rows(ordered, "session_id", "visitor_id", "occurred_at"):
        session = row["session_id"]
        if visitors.setdefault(session, row["visitor_id"]) != row["visitor_id"]:
            problems.append(f"session {session} has two visitors")
        if session in last and row["occurred_at"] - last[session] >= GAP:
            problems.append(f"session {session} has a gap of {row['occurred_at'] - last[session]}")
        last[session] = row["occurred_at"]
        span = spans.setdefault(session, [row["occurred_at"], row["occurred_at"], row["visitor_id"]])
        span[1] = row["occurred_at"]
    by_visitor: dict[str, list] = defaultdict(list)
    for session, (start, end, visitor) in spans.items():
        by_visitor[visitor].append((start, end, session))
    for visitor, visits in by_visitor.items():
        visits.sort()
        for (_, end, one), (start, _, other) in pairwise(visits):
            if start - end < GAP:
                problems.append(f"visitor {visitor}: sessions {one} and {other} only {start - end} apart")
    return problems
