"""The staff order screen: list, detail with everything, and operations through services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.orders.models import Order, OrderRefund, ReturnRequest, Shipment
from shopstack.orders.services import order_place
from shopstack.payments.models import Payment
from shopstack.testing.inventory import make_stocked_variant
from shopstack.testing.orders import ORDER_APPS, make_draft
from shopstack.testing.pricing import ensure_tax_seed


@pytest.fixture
def staff():
    user = make_user("orders-admin@example.com", is_staff=True, is_superuser=True)
    add_totp(user)  # staff without a second factor are sent to set one up
    return user


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def url(name: str, *args) -> str:
    return reverse(f"admin:orders_order_{name}", args=args)


@pytest.mark.django_db
def test_list_search_and_detail_show_lines_payment_allocations_and_log(staff_client):
    ensure_tax_seed()
    variant = make_stocked_variant(stock=5)
    order = order_place(draft=make_draft([(variant, 2)]), idempotency_key="a")

    listing = staff_client.get(url("changelist"), {"q": order.number})
    assert listing.status_code == 200
    assert order.number in listing.content.decode()
    filtered = staff_client.get(url("changelist"), {"status__exact": "cancelled"})
    assert order.number not in filtered.content.decode()

    page = staff_client.get(url("change", order.pk)).content.decode()
    assert variant.sku in page
    assert f"order:{order.number}" in page  # the payment
    assert "allocated" in page
    assert "Event log" in page
    assert "placed" in page
    assert "Ship lines" in page


@pytest.mark.django_db
def test_an_operation_the_order_is_not_ready_for_is_refused_with_a_message_and_changes_nothing(staff_client):
    ensure_tax_seed()
    order = order_place(draft=make_draft([(make_stocked_variant(stock=5), 1)]), idempotency_key="b")

    response = staff_client.post(url("operate", order.pk, "capture"), follow=True)

    assert "cannot be captured" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert order.next_step == "authorize"


@pytest.mark.django_db
def test_shipping_more_than_ordered_is_a_422_with_the_line_named(staff_client):
    ensure_tax_seed()
    order = order_place(draft=make_draft([(make_stocked_variant(stock=5), 1)]), idempotency_key="c")
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    line = order.lines.get()

    response = staff_client.post(url("ship", order.pk), {f"line_{line.pk}": "3"})

    assert response.status_code == 422
    assert f"Line {line.pk}: at most 1" in response.content.decode()
    assert not Shipment.objects.exists()


@pytest.mark.django_db
def test_a_customer_without_staff_rights_cannot_operate(client, django_user_model):
    ensure_tax_seed()
    order = order_place(draft=make_draft([(make_stocked_variant(stock=5), 1)]), idempotency_key="d")
    user = django_user_model.objects.create_user(email="c@example.com", password="x-very-long-pass")
    client.force_login(user)

    response = client.post(url("operate", order.pk, "cancel"))

    assert response.status_code == 302  # to the admin login
    order.refresh_from_db()
    assert order.next_step == "authorize"


@pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)
def test_staff_capture_ship_refund_and_return_through_the_screen(staff_client, live_gateway):
    ensure_tax_seed()
    variant = make_stocked_variant(stock=5, price="10.00")
    order = order_place(
        draft=make_draft([(variant, 2)], token=live_gateway.token("success")), idempotency_key="e"
    )
    line = order.lines.get()

    staff_client.post(url("operate", order.pk, "capture"))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID

    staff_client.post(url("ship", order.pk), {f"line_{line.pk}": "2"})
    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED
    assert Shipment.objects.get().tracking_number

    form = staff_client.get(url("refund", order.pk))
    key = form.context["form"].fields["key"].initial
    too_much = staff_client.post(url("refund", order.pk), {"amount": "999.00", "key": key})
    assert too_much.status_code == 422
    assert not OrderRefund.objects.exists()
    for _ in range(2):  # a resubmitted form refunds once
        staff_client.post(url("refund", order.pk), {f"line_{line.pk}": "5.00", "key": key})
    assert OrderRefund.objects.get().status == "succeeded"
    assert Payment.objects.get().refunded_amount == Decimal("5.00")

    staff_client.post(url("return", order.pk), {f"line_{line.pk}": "1", "reason": "Too big", "restock": "on"})
    rma = ReturnRequest.objects.get()
    for step in ("approve", "receive", "refund"):
        staff_client.post(url("return_operate", order.pk, rma.pk, step))
    rma.refresh_from_db()
    assert rma.status == "refunded"
    assert Payment.objects.get().refunded_amount == Decimal("15.00")
    page = staff_client.get(url("change", order.pk)).content.decode()
    assert "return_refunded" in page
