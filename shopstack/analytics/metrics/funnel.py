"""How far visits get: from a page to a paid order, step by step, and the carts left behind.

The funnel is strict: a session counts at a step only if it also reached every step
before it (in any order in time: a shopper who goes back and forth counts once per step),
so each step is at most the one before and the drop between two steps is never negative.
Steps: a session (a page view), a product view, a cart add, the checkout steps in
schema.CHECKOUT_STEPS order (the first is reaching checkout), an order placed, and that
order paid (facts.orders.paid_at set, whenever it was paid).

Filters: all of them (scope.visitor_events).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from shopstack.analytics.engines.base import WarehouseEngine
from shopstack.analytics.metrics.period import Period
from shopstack.analytics.metrics.scope import visitor_events
from shopstack.analytics.schema import CHECKOUT_STEPS

STEPS: tuple[str, ...] = (
    "session",
    "product_view",
    "cart_add",
    *(f"checkout_{step}" for step in CHECKOUT_STEPS),
    "order_placed",
    "paid",
)


@dataclass(frozen=True)
class Step:
    name: str
    sessions: int  # sessions that reached this step and every one before it
    previous: int | None  # the step before's sessions (None at the first step)

    @property
    def abandoned(self) -> int:
        return 0 if self.previous is None else self.previous - self.sessions

    @property
    def abandonment_rate(self) -> float | None:
        return self.abandoned / self.previous if self.previous else None


@dataclass(frozen=True)
class Funnel:
    steps: tuple[Step, ...]
    abandoned_carts: int  # sessions with a cart add and no order placed
    abandoned_cart_minor: int  # what they added less what they removed, never below zero each

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)

    def share(self, name: str) -> float | None:
        """What part of the period's sessions got as far as step `name`."""
        first = self.steps[0].sessions
        return self.step(name).sessions / first if first else None


def funnel(engine: WarehouseEngine, period: Period) -> Funnel:
    events = visitor_events(engine, period)
    flags = _session_flags(engine, events)
    reached: ir.IntegerValue = ibis.literal(1)
    counts = {}
    for name in STEPS:
        reached = reached * flags[name]
        counts[name] = reached.sum().cast("int64")
    abandoned = (flags.cart_add == 1) & (flags.order_placed == 0)
    left_in_cart = ibis.greatest(flags.added - flags.removed, 0)
    row = engine.rows(
        flags.aggregate(
            **counts,
            abandoned_carts=ibis.ifelse(abandoned, 1, 0).sum().cast("int64"),
            abandoned_cart_minor=ibis.ifelse(abandoned, left_in_cart, 0).sum().cast("int64"),
        )
    )[0]
    steps = []
    previous: int | None = None
    for name in STEPS:
        sessions = int(row[name] or 0)
        steps.append(Step(name=name, sessions=sessions, previous=previous))
        previous = sessions
    return Funnel(
        steps=tuple(steps),
        abandoned_carts=int(row["abandoned_carts"] or 0),
        abandoned_cart_minor=int(row["abandoned_cart_minor"] or 0),
    )


def _session_flags(engine: WarehouseEngine, events: ir.Table) -> ir.Table:
    """One row per session: 1 or 0 for each step it reached on its own (not yet strict),
    and the value it added to and removed from the cart."""
    kind = events.kind

    def seen(condition: ir.BooleanValue) -> ir.IntegerScalar:
        return ibis.ifelse(condition, 1, 0).max()

    def value(of_kind: str) -> ir.IntegerScalar:
        return ibis.ifelse(kind == of_kind, events.value_minor.fill_null(0), 0).sum()

    steps = {
        f"checkout_{step}": seen((kind == "checkout_step") & (events.checkout_step == step))
        for step in CHECKOUT_STEPS
    }
    per_session = events.group_by("session_id").aggregate(
        session=seen(kind == "page_view"),
        product_view=seen(kind == "product_view"),
        cart_add=seen(kind == "cart_add"),
        **steps,
        order_placed=seen(kind == "order_placed"),
        added=value("cart_add"),
        removed=value("cart_remove"),
    )
    # Paid is read from the order facts, joined once per session (a session's orders).
    orders = engine.table("orders")
    placed = events.filter(events.kind == "order_placed")
    paid_sessions = (
        placed.filter(placed.order_id.isin(orders.filter(orders.paid_at.notnull()).order_id))
        .select(paid_session=placed.session_id)
        .distinct()
    )
    joined = per_session.left_join(paid_sessions, per_session.session_id == paid_sessions.paid_session)
    return joined.mutate(paid=ibis.ifelse(joined.paid_session.notnull(), 1, 0))
