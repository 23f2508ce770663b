"""The funnel on a hand-computed fixture, on every engine."""

from __future__ import annotations

from datetime import date

from shopstack.analytics.metrics.funnel import STEPS, funnel
from shopstack.analytics.metrics.period import Filters, Period
from shopstack.analytics.schema import CHECKOUT_STEPS, AnalyticsEvent
from shopstack.analytics.tests.warehouse_fixtures import at, write_events, write_rows

MAY_1 = Period(date(2026, 5, 1), date(2026, 5, 1))


def _visit(session: str, hour: int, steps: list[tuple[str, dict]], day: str = "2026-05-01", **fields):
    """A session's events a minute apart from `hour`:00 on `day` (UTC)."""
    return [
        AnalyticsEvent(
            kind=kind,
            occurred_at=at(f"{day} {hour:02d}:{minute:02d}"),
            visitor_id=f"v-{session}",
            session_id=session,
            **fields,
            **extra,
        )
        for minute, (kind, extra) in enumerate(steps)
    ]


PAGE = ("page_view", {})
VIEW = ("product_view", {"product_id": 1})


def _add(value: int) -> tuple[str, dict]:
    return ("cart_add", {"product_id": 1, "quantity": 1, "value_minor": value})


def _remove(value: int) -> tuple[str, dict]:
    return ("cart_remove", {"product_id": 1, "quantity": 1, "value_minor": value})


def _checkout(*steps: str) -> list[tuple[str, dict]]:
    return [("checkout_step", {"checkout_step": step}) for step in steps]


def _placed(order_id: int) -> tuple[str, dict]:
    return ("order_placed", {"order_id": order_id})


def _fixture(root) -> None:
    events = [
        # s1: every step; order 1 is paid.
        *_visit("s1", 9, [PAGE, VIEW, _add(2000), *_checkout(*CHECKOUT_STEPS), _placed(1)]),
        # s2 and s3 (tablets) leave their carts: 2000 - 500 = 1500, and 1000 - 3000 -> 0.
        *_visit(
            "s2",
            10,
            [PAGE, VIEW, _add(1500), _add(500), _remove(500), *_checkout("begin", "address")],
            device="tablet",
        ),
        *_visit("s3", 11, [PAGE, VIEW, _add(1000), _remove(3000)], device="tablet"),
        *_visit("s4", 12, [PAGE, VIEW]),
        *_visit("s5", 13, [PAGE]),
        # s6 adds from a listing without a product view: out of the strict funnel after
        # its first step, and no abandoned cart (it placed order 2).
        *_visit("s6", 14, [PAGE, _add(800), *_checkout(*CHECKOUT_STEPS), _placed(2)]),
        # s7: every step, order 3 never paid.
        *_visit("s7", 15, [PAGE, VIEW, _add(1200), *_checkout(*CHECKOUT_STEPS), _placed(3)]),
        # A bot's full path, and a visit on May 2nd: neither counts.
        *_visit("bot", 16, [PAGE, VIEW, _add(9999)], is_bot=True, device="bot"),
        *_visit("s8", 9, [PAGE, VIEW, _add(100)], day="2026-05-02"),
        # s9 at 23:30 UTC on April 30th: May 1st in London.
        *_visit("s9", 23, [PAGE, VIEW, _add(700)], day="2026-04-30"),
    ]
    write_events(root, events)
    write_rows(
        root,
        "orders",
        [
            {
                "order_id": 1,
                "placed_at": at("2026-05-01 09:12"),
                "paid_at": at("2026-05-01 09:13"),
                "total_minor": 2000,
            },
            {"order_id": 2, "placed_at": at("2026-05-01 14:08"), "total_minor": 800},
            {"order_id": 3, "placed_at": at("2026-05-01 15:08"), "total_minor": 1200},
        ],
    )


def test_a_strict_funnel_with_abandonment_at_each_step(engine_for, tmp_path):
    _fixture(tmp_path)

    result = funnel(engine_for(tmp_path), MAY_1)

    assert [step.name for step in result.steps] == list(STEPS)
    assert {step.name: step.sessions for step in result.steps} == {
        "session": 7,  # s1..s7
        "product_view": 5,  # not s5, s6
        "cart_add": 4,  # s1, s2, s3, s7
        "checkout_begin": 3,  # s1, s2, s7
        "checkout_address": 3,
        "checkout_shipping": 2,  # s1, s7
        "checkout_payment": 2,
        "checkout_review": 2,
        "order_placed": 2,
        "paid": 1,  # s1
    }
    assert [step.abandoned for step in result.steps] == [0, 2, 1, 1, 0, 1, 0, 0, 0, 1]
    assert result.step("session").abandonment_rate is None
    assert result.step("product_view").abandonment_rate == 2 / 7
    assert result.step("paid").abandonment_rate == 1 / 2
    assert result.share("order_placed") == 2 / 7
    assert (result.abandoned_carts, result.abandoned_cart_minor) == (2, 1500)


def test_a_device_filter(engine_for, tmp_path):
    _fixture(tmp_path)

    result = funnel(engine_for(tmp_path), Period(MAY_1.start, MAY_1.end, filters=Filters(device="tablet")))

    assert [step.sessions for step in result.steps] == [2, 2, 2, 1, 1, 0, 0, 0, 0, 0]
    assert (result.abandoned_carts, result.abandoned_cart_minor) == (2, 1500)


def test_the_shops_day_and_the_previous_period(engine_for, tmp_path):
    _fixture(tmp_path)
    engine = engine_for(tmp_path)

    london = funnel(engine, Period(MAY_1.start, MAY_1.end, tz="Europe/London"))
    before = funnel(engine, MAY_1.previous())

    # London's May 1st takes in s9 (April 30th 23:30 UTC), which leaves 700 in its cart.
    assert [step.sessions for step in london.steps][:3] == [8, 6, 5]
    assert (london.abandoned_carts, london.abandoned_cart_minor) == (3, 2200)
    # April 30th in UTC holds s9 alone.
    assert [step.sessions for step in before.steps][:4] == [1, 1, 1, 0]
    assert (before.abandoned_carts, before.abandoned_cart_minor) == (1, 700)
