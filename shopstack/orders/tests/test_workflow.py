"""The workflow end to end against the real test gateway (tasks run at once in tests)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.models import OutboxEvent
from shopstack.inventory.models import Allocation
from shopstack.orders.models import Order, OrderEvent, OrderRefund, Shipment
from shopstack.orders.services import (
    order_cancel,
    order_capture,
    order_mark_delivered,
    order_place,
    order_refund,
    order_ship,
    orders_expire_unfinished_payments,
    return_approve,
    return_receive,
    return_refund,
    return_replace,
    return_request,
)
from shopstack.payments.models import Payment
from shopstack.payments.testgateway.models import LedgerCharge
from shopstack.pricing.models import Voucher
from shopstack.testing.inventory import make_stocked_variant, stock_of
from shopstack.testing.orders import ORDER_APPS, make_draft
from shopstack.testing.pricing import ensure_tax_seed, make_voucher

pytestmark = pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)


@pytest.fixture(autouse=True)
def _tax():
    ensure_tax_seed()


def kinds(order: Order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))


def events(order: Order) -> list[str]:
    return list(
        OutboxEvent.objects.filter(aggregate_type="order", aggregate_id=str(order.pk))
        .exclude(name="OrderWorkflowKick")
        .values_list("name", flat=True)
    )


def place(live_gateway, outcome: str = "success", *, stock: int = 5, quantity: int = 2, **draft) -> Order:
    variant = make_stocked_variant(stock=stock, price="10.00")
    order = order_place(
        draft=make_draft([(variant, quantity)], token=live_gateway.token(outcome), **draft),
        idempotency_key=f"k-{variant.pk}",
    )
    order.refresh_from_db()
    order.variant = variant
    return order


def test_an_authorized_order_is_confirmed_then_captured_by_staff(live_gateway):
    order = place(live_gateway)
    assert order.status == Order.Status.CONFIRMED
    assert order.payment_status == "authorized"
    assert kinds(order) == ["placed", "authorizing", "confirmed"]
    assert events(order) == ["OrderPlaced", "OrderConfirmed"]
    assert LedgerCharge.objects.count() == 1

    order_capture(order=order)
    order_capture(order=order)  # a double click changes nothing

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.payment_status == "captured"
    assert Payment.objects.get().captured_amount == order.total_amount
    assert kinds(order)[-2:] == ["capture_requested", "captured"]
    captured = OutboxEvent.objects.get(name="OrderCaptured")
    assert captured.payload["number"] == order.number
    assert captured.payload["email"] == order.email


def test_auto_capture_setting_captures_after_confirmation(live_gateway, settings):
    settings.ORDERS_AUTO_CAPTURE = True
    order = place(live_gateway)
    assert order.status == Order.Status.PAID
    assert events(order) == ["OrderPlaced", "OrderConfirmed", "OrderCaptured"]


def test_a_declined_payment_is_compensated(live_gateway):
    voucher = make_voucher(value="10", usage_limit=5)
    order = place(live_gateway, "decline", voucher_code=voucher.code)
    assert order.status == Order.Status.CANCELLED
    assert order.cancel_reason == "payment_failed"
    assert order.payment_status == "failed"
    assert stock_of(order.variant).allocated == 0
    assert set(Allocation.objects.filter(order_ref=order.number).values_list("status", flat=True)) == {
        "released"
    }
    assert Voucher.objects.get().used_count == 0
    assert kinds(order) == ["placed", "authorizing", "payment_failed", "released", "cancelled"]
    assert events(order) == ["OrderPlaced", "OrderPaymentFailed", "OrderCancelled"]


def test_action_required_then_an_approved_challenge_confirms_through_the_webhook(live_gateway):
    order = place(live_gateway, "action_required")
    assert order.status == Order.Status.ACTION_REQUIRED
    action = OutboxEvent.objects.get(name="OrderActionRequired")
    assert action.payload["action_url"]

    live_gateway.complete_challenge(action.payload["action_url"], approve=True)

    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert kinds(order) == ["placed", "authorizing", "action_required", "confirmed"]
    assert LedgerCharge.objects.count() == 1


def test_a_failed_challenge_is_compensated(live_gateway):
    order = place(live_gateway, "action_required")
    live_gateway.complete_challenge(Payment.objects.get().action_url, approve=False)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert stock_of(order.variant).allocated == 0


def test_cancel_after_authorize_voids(live_gateway):
    order = place(live_gateway)
    order_cancel(order=order, reason="customer asked")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Payment.objects.get().status == "voided"
    assert stock_of(order.variant).allocated == 0
    assert events(order)[-1] == "OrderCancelled"


def test_cancel_after_capture_refunds(live_gateway):
    order = place(live_gateway)
    order_capture(order=order)
    order_cancel(order=order)
    order.refresh_from_db()
    payment = Payment.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert payment.status == "refunded"
    assert payment.refunded_amount == order.total_amount


def test_fulfil_partially_then_fully_then_deliver(live_gateway):
    order = place(live_gateway, stock=5, quantity=3)
    line = order.lines.get()
    with pytest.raises(Conflict):
        order_ship(order=order, lines=[(line.pk, 1)])  # not captured yet
    order_capture(order=order)

    with pytest.raises(ValidationFailed) as error:
        order_ship(order=order, lines=[(line.pk, 4)])
    assert "lines" in error.value.fields
    assert not Shipment.objects.exists()

    order_ship(order=order, lines=[(line.pk, 1)])
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_SHIPPED
    first = Shipment.objects.get()
    assert first.status == "shipped"
    assert first.tracking_number
    assert stock_of(order.variant).quantity == 5  # the line's stock leaves with its last unit

    order_ship(order=order, lines=[(line.pk, 2)])
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert stock_of(order.variant).quantity == 2
    assert stock_of(order.variant).allocated == 0
    shipped = OutboxEvent.objects.filter(name="OrderShipped").last()
    assert shipped.payload["tracking_number"]
    assert shipped.payload["tracking_url"]
    assert shipped.payload["lines"][0]["quantity"] == 2

    order_mark_delivered(order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.DELIVERED
    assert events(order)[-1] == "OrderDelivered"


def test_refund_per_line_and_never_more_than_paid(live_gateway):
    order = place(live_gateway)
    order_capture(order=order)
    line = order.lines.get()

    order_refund(order=order, lines=[(line.pk, Decimal("5.00"))], key="r1")
    order_refund(order=order, lines=[(line.pk, Decimal("5.00"))], key="r1")  # repeat: same refund

    order.refresh_from_db()
    assert OrderRefund.objects.count() == 1
    assert order.refunded_amount == Decimal("5.00")
    line.refresh_from_db()
    assert line.refunded_amount == Decimal("5.00")
    refunded = OutboxEvent.objects.get(name="OrderRefunded")
    assert refunded.payload["amount"] == "5.00"
    assert refunded.payload["lines"][0]["line_id"] == line.pk

    with pytest.raises(ValidationFailed) as error:
        order_refund(order=order, amount=order.total_amount)
    assert "amount" in error.value.fields
    assert OrderRefund.objects.count() == 1

    order_refund(order=order)  # the rest
    order.refresh_from_db()
    assert order.refunded_amount == order.total_amount
    assert order.status == Order.Status.REFUNDED


def test_a_return_is_requested_approved_received_and_refunded(live_gateway):
    order = place(live_gateway, quantity=2)
    order_capture(order=order)
    line = order.lines.get()
    order_ship(order=order, lines=[(line.pk, 2)])

    with pytest.raises(ValidationFailed):
        return_request(order=order, lines=[(line.pk, 3)], reason="too many")
    rma = return_request(order=order, lines=[(line.pk, 1)], reason="Wrong size")
    with pytest.raises(Conflict):
        return_receive(rma=rma)  # not approved yet
    return_approve(rma=rma)
    return_receive(rma=rma, restock=True)
    assert stock_of(order.variant).quantity == 4  # 5 - 2 shipped + 1 back

    return_refund(rma=rma)
    rma.refresh_from_db()
    assert rma.status == "refunded"
    order.refresh_from_db()
    assert order.refunded_amount == Decimal("10.00")
    names = events(order)
    for name in ("ReturnRequested", "ReturnApproved", "ReturnReceived", "OrderRefunded", "ReturnRefunded"):
        assert name in names


def test_a_return_can_be_replaced_with_a_free_order(live_gateway):
    order = place(live_gateway, quantity=1)
    order_capture(order=order)
    line = order.lines.get()
    order_ship(order=order, lines=[(line.pk, 1)])
    rma = return_request(order=order, lines=[(line.pk, 1)], reason="Broken", restock=False)
    return_approve(rma=rma)
    return_receive(rma=rma)

    replacement = return_replace(rma=rma)

    assert replacement.total_amount == 0
    assert replacement.status == Order.Status.PAID
    assert Allocation.objects.filter(order_ref=replacement.number).exists()
    assert "ReturnReplaced" in events(order)
    assert return_replace(rma=rma).pk == replacement.pk


def test_a_gateway_outage_is_logged_retried_and_finished_by_the_resume_sweep(live_gateway, settings):
    from shopstack.core.backends import load_backend
    from shopstack.orders.tasks import order_workflow_resume

    order = place(live_gateway)
    working = settings.PAYMENT_GATEWAY
    settings.PAYMENT_GATEWAY = {
        **working,
        "OPTIONS": {**working["OPTIONS"], "base_url": "http://127.0.0.1:9/_testgateway/"},
    }
    load_backend.cache_clear()
    order_capture(order=order)
    order.refresh_from_db()
    assert order.status == Order.Status.CONFIRMED
    assert order.next_step == "capture"  # still due
    assert kinds(order)[-1] == "step_failed"

    settings.PAYMENT_GATEWAY = working
    load_backend.cache_clear()
    order_workflow_resume.enqueue(0)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.next_step == ""
    assert Payment.objects.get().status == "captured"


def test_an_abandoned_card_check_cancels_the_order_and_a_late_approval_is_voided(live_gateway):
    order = place(live_gateway, "action_required")
    assert order.status == Order.Status.ACTION_REQUIRED
    assert stock_of(order.variant).allocated == 2
    # Not yet stale: nothing happens.
    assert orders_expire_unfinished_payments(older_than_seconds=3600) == []
    Order.objects.filter(pk=order.pk).update(progress_at=order.progress_at - timedelta(hours=1))

    assert orders_expire_unfinished_payments(older_than_seconds=1800) == [order.number]
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert stock_of(order.variant).allocated == 0
    assert orders_expire_unfinished_payments(older_than_seconds=1800) == []  # once only

    # The shopper finishes the check after all: the authorization is given back.
    live_gateway.complete_challenge(Payment.objects.get().action_url, approve=True)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Payment.objects.get().status == "voided"
    assert "late_authorization" in kinds(order)
