"""kill -9 of the worker at each workflow step: a fresh worker (after the resume sweep)
finishes or compensates the order, with one authorization and a complete, ordered log.

Real processes: `manage.py db_worker` on the test database, the test gateway on the live
server. The test process only places orders and plays the scheduler (enqueues sweeps).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from shopstack.core.tasks import outbox_dispatch
from shopstack.inventory.models import Allocation
from shopstack.orders.models import Order, OrderEvent, Shipment
from shopstack.orders.services import order_cancel, order_capture, order_place, order_refund, order_ship
from shopstack.orders.tasks import order_workflow_resume
from shopstack.payments.models import Payment
from shopstack.payments.testgateway.models import LedgerCharge, LedgerRefund
from shopstack.pricing.models import Voucher
from shopstack.testing.inventory import make_stocked_variant, stock_of
from shopstack.testing.orders import ORDER_APPS, Worker, make_draft, use_tasks_backend, wait_until
from shopstack.testing.pricing import ensure_tax_seed, make_voucher

pytestmark = pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)

CONFIRMED = ["placed", "authorizing", "confirmed"]
COMPENSATED = ["placed", "authorizing", "payment_failed", "released", "cancelled"]
CAPTURED = [*CONFIRMED, "captured"]
CANCELLED = [*CONFIRMED, "cancel_requested", "released", "cancelled"]


@dataclass
class Scenario:
    token: str = "success"
    auto_capture: bool = False
    voucher: bool = False
    # Staff action after the order settled, before the faulty worker runs it.
    then: Callable[[Order], object] | None = None
    status: str = Order.Status.CONFIRMED
    log: list[str] = field(default_factory=lambda: list(CONFIRMED))


def _ship(order: Order) -> None:
    order_capture(order=order)
    wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID, timeout=300)
    order_ship(order=order, lines=[(order.lines.get().pk, 1)])


def _refund(order: Order) -> None:
    order_capture(order=order)
    wait_until(lambda: Order.objects.get(pk=order.pk).status == Order.Status.PAID, timeout=300)
    order_refund(order=order, key="fault-refund")


SCENARIOS = {
    "before_authorize": Scenario(),
    "after_authorize": Scenario(),
    "after_release_stock": Scenario(token="decline", voucher=True, status="cancelled", log=COMPENSATED),
    "after_release_voucher": Scenario(token="decline", voucher=True, status="cancelled", log=COMPENSATED),
    "before_capture": Scenario(auto_capture=True, status="paid", log=CAPTURED),
    "after_capture": Scenario(auto_capture=True, status="paid", log=CAPTURED),
    "before_cancel": Scenario(then=lambda o: order_cancel(order=o), status="cancelled", log=CANCELLED),
    "after_cancel_payment": Scenario(then=lambda o: order_cancel(order=o), status="cancelled", log=CANCELLED),
    "after_label": Scenario(
        then=_ship,
        status="partially_shipped",
        log=[*CONFIRMED, "capture_requested", "captured", "picking", "shipped"],
    ),
    "after_refund": Scenario(
        then=_refund,
        status="refunded",
        log=[*CONFIRMED, "capture_requested", "captured", "refund_requested", "refunded"],
    ),
}


def settled(order: Order, status: str) -> bool:
    order = Order.objects.get(pk=order.pk)
    return order.status == status and not order.next_step


@pytest.mark.parametrize("point", list(SCENARIOS))
def test_a_worker_killed_at_each_step_leaves_an_order_the_next_worker_finishes(point, live_gateway, settings):
    scenario = SCENARIOS[point]
    use_tasks_backend(settings, "django_tasks_db.DatabaseBackend")
    settings.ORDERS_AUTO_CAPTURE = scenario.auto_capture
    env = {"ORDERS_AUTO_CAPTURE": "1" if scenario.auto_capture else "0"}
    ensure_tax_seed()
    voucher = make_voucher(value="10", usage_limit=3) if scenario.voucher else None
    variant = make_stocked_variant(stock=5, price="10.00")
    draft = make_draft(
        [(variant, 2)],
        token=live_gateway.token(scenario.token),
        voucher_code=voucher.code if voucher else None,
    )
    try:
        if scenario.then is not None:
            order = order_place(draft=draft, idempotency_key="fault")
            clean = Worker(live_gateway.shop_url, env=env)
            try:
                assert wait_until(lambda: settled(order, Order.Status.CONFIRMED)), clean.stop()
                scenario.then(order)
            finally:
                clean.stop()
            faulty = Worker(live_gateway.shop_url, faults=f"{point}:kill", env=env)
        else:
            faulty = Worker(live_gateway.shop_url, faults=f"{point}:kill", env=env)
            order = order_place(draft=draft, idempotency_key="fault")

        code = faulty.wait_dead(timeout=300)
        assert code == -9, f"the worker was not killed at {point} (exit {code})"
        assert not settled(order, scenario.status)

        # What the scheduler does every few seconds: the resume sweep and the outbox sweep.
        order_workflow_resume.enqueue(0)
        outbox_dispatch.enqueue()
        fresh = Worker(live_gateway.shop_url, env=env)
        try:
            assert wait_until(lambda: settled(order, scenario.status), timeout=300), fresh.stop()[-3000:]
        finally:
            fresh.stop()
    finally:
        use_tasks_backend(settings, "django.tasks.backends.immediate.ImmediateBackend")

    order.refresh_from_db()
    assert LedgerCharge.objects.count() == 1, "charged more than once"
    log = list(OrderEvent.objects.filter(order=order).order_by("pk").values_list("kind", flat=True))
    assert [k for k in log if k != "step_failed"] == scenario.log
    payment = Payment.objects.get()
    if scenario.status == "cancelled":
        assert stock_of(variant).allocated == 0
        assert set(Allocation.objects.filter(order_ref=order.number).values_list("status", flat=True)) == {
            "released"
        }
    if scenario.voucher:
        assert Voucher.objects.get().used_count == 0
    if point in {"before_cancel", "after_cancel_payment"}:
        assert payment.status == "voided"
    if point == "after_label":
        assert Shipment.objects.get().tracking_number
        assert stock_of(variant).quantity == 5  # one of two units shipped: stock leaves with the last
    if point == "after_refund":
        assert LedgerRefund.objects.count() == 1
        assert payment.refunded_amount == order.total_amount
