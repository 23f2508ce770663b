"""The reconciliation race seen from an order: a late authorization is voided and logged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from shopstack.orders.models import Order, OrderEvent
from shopstack.orders.services import order_place
from shopstack.payments.models import Payment, PaymentStatus
from shopstack.payments.tasks import payments_late_check_sweep
from shopstack.payments.testgateway.models import LedgerCharge
from shopstack.testing.inventory import make_stocked_variant, stock_of
from shopstack.testing.orders import ORDER_APPS, make_draft
from shopstack.testing.pricing import ensure_tax_seed

pytestmark = pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)


def test_an_order_cancelled_as_not_charged_logs_and_voids_the_late_authorization(live_gateway, settings):
    ensure_tax_seed()
    settings.PAYMENTS_RECONCILE_MARGIN_SECONDS = 0  # conclude right after the client's timeout
    variant = make_stocked_variant(stock=5, price="10.00")
    order = order_place(
        draft=make_draft([(variant, 2)], token=live_gateway.token("late")), idempotency_key="k-late"
    )
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED  # payment failed (not charged): compensated
    assert stock_of(variant).allocated == 0
    assert live_gateway.held.count == 1  # the authorization is still on its way
    live_gateway.release_held()  # it lands: release_held waits until the gateway is done
    assert LedgerCharge.objects.get().status == "authorized"  # the money the race left held

    Payment.objects.update(updated_at=timezone.now() - timedelta(minutes=11))
    payments_late_check_sweep.call()

    assert LedgerCharge.objects.get().status == "voided"
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.payment_status == PaymentStatus.VOIDED
    log = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("kind", "data"))
    kinds = [kind for kind, _ in log]
    assert kinds[-2:] == ["late_authorization_found", "late_authorization_voided"]
    reference = LedgerCharge.objects.get().reference
    assert log[-1][1] == {"reference": reference}
    assert kinds.count("late_authorization_voided") == 1
