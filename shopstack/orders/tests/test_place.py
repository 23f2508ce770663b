"""order_place: one order per idempotency key, everything or nothing."""

from decimal import Decimal

import pytest

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.models import IdempotencyRecord, OutboxEvent
from shopstack.inventory.models import Allocation, Reservation
from shopstack.inventory.services import OutOfStock
from shopstack.orders.models import Order, OrderAddress, OrderEvent, OrderLine
from shopstack.orders.services import order_place
from shopstack.payments.models import Payment
from shopstack.pricing.models import VoucherRedemption
from shopstack.testing.inventory import make_stocked_variant, stock_of
from shopstack.testing.orders import make_draft
from shopstack.testing.pricing import ensure_tax_seed, make_voucher

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tax():
    ensure_tax_seed()


def counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "lines": OrderLine.objects.count(),
        "allocations": Allocation.objects.count(),
        "payments": Payment.objects.count(),
        "redemptions": VoucherRedemption.objects.count(),
        "events": OutboxEvent.objects.filter(aggregate_type="order").count(),
        "keys": IdempotencyRecord.objects.count(),
    }


def test_placing_snapshots_the_draft_allocates_and_creates_the_payment():
    a, b = make_stocked_variant(stock=5, price="10.00"), make_stocked_variant(stock=5, price="2.50")
    draft = make_draft([(a, 2), (b, 1)])

    order = order_place(draft=draft, idempotency_key="k-1")

    assert order.number.startswith("SS-")
    assert len(order.number) == 11
    assert order.status == Order.Status.PLACED
    assert order.next_step == "authorize"
    assert order.total_amount == draft.total
    assert order.subtotal_amount == draft.subtotal
    assert order.tax_amount == draft.tax
    assert order.charges_amount == draft.shipping_price
    lines = list(order.lines.order_by("pk"))
    assert [(line.sku, line.quantity, line.total_amount) for line in lines] == [
        (d.sku, d.quantity, d.gross) for d in draft.lines
    ]
    assert lines[0].net_amount + lines[0].tax_amount == lines[0].total_amount
    assert order.charges.get().amount == Decimal("4.99")
    assert OrderAddress.objects.get(order=order, kind="shipping").postal_code == "N1 1AA"
    allocations = Allocation.objects.filter(order_ref=order.number)
    assert {(x.line_ref, x.quantity) for x in allocations} == {(str(lines[0].pk), 2), (str(lines[1].pk), 1)}
    assert not Reservation.objects.filter(ref=draft.checkout_ref, status=Reservation.Status.ACTIVE).exists()
    assert stock_of(a).allocated == 2
    assert stock_of(a).reserved == 0
    payment = Payment.objects.get(ref=f"order:{order.number}")
    assert payment.amount == draft.total
    assert payment.status == "pending"
    assert list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True)) == ["placed"]
    placed = OutboxEvent.objects.get(name="OrderPlaced")
    assert placed.payload["order_id"] == order.pk
    assert placed.payload["number"] == order.number
    assert placed.payload["email"] == "buyer@example.com"


def test_a_repeat_with_the_same_key_returns_the_same_order_and_does_nothing_else():
    variant = make_stocked_variant(stock=5)
    draft = make_draft([(variant, 1)])
    first = order_place(draft=draft, idempotency_key="same")
    before = counts()

    again = order_place(draft=draft, idempotency_key="same")

    assert again.pk == first.pk
    assert counts() == before
    assert stock_of(variant).allocated == 1


def test_the_same_key_with_a_different_draft_is_refused_and_changes_nothing():
    variant = make_stocked_variant(stock=5)
    order_place(draft=make_draft([(variant, 1)]), idempotency_key="mine")
    before = counts()

    with pytest.raises(Conflict) as error:
        order_place(draft=make_draft([(variant, 2)]), idempotency_key="mine")

    assert error.value.code == "idempotency_key_reused"
    assert "idempotency_key" in error.value.fields
    assert counts() == before


def test_out_of_stock_creates_nothing():
    variant = make_stocked_variant(stock=1)
    draft = make_draft([(variant, 2)], reserve=False)
    before = counts()

    with pytest.raises(OutOfStock) as error:
        order_place(draft=draft, idempotency_key="k-oos")

    assert error.value.code == "out_of_stock"
    assert counts() == before
    assert stock_of(variant).allocated == 0


def test_a_voucher_used_up_in_the_meantime_creates_nothing():
    voucher = make_voucher(usage_limit=1)
    variant = make_stocked_variant(stock=5, price="20.00")
    first = make_draft([(variant, 1)], voucher_code=voucher.code, email="one@example.com")
    second = make_draft([(variant, 1)], voucher_code=voucher.code, email="two@example.com")
    order_place(draft=first, idempotency_key="v-1")
    before = counts()

    # Refused by the check (ValidationFailed) or, when racing, by the counter (Conflict).
    with pytest.raises((Conflict, ValidationFailed)) as error:
        order_place(draft=second, idempotency_key="v-2")

    assert "voucher" in error.value.fields
    assert counts() == before
    assert stock_of(variant).allocated == 1


def test_a_voucher_is_redeemed_for_the_order():
    voucher = make_voucher(value="10")
    variant = make_stocked_variant(stock=5, price="20.00")
    order = order_place(draft=make_draft([(variant, 1)], voucher_code=voucher.code), idempotency_key="v")
    assert VoucherRedemption.objects.get().order_ref == order.number
    assert order.discount_amount > 0
    assert order.voucher_code == voucher.code


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": ""}, "email"),
        ({"payment_token": ""}, "payment_token"),
        ({"lines": ()}, "lines"),
        ({"total": Decimal("0")}, "total"),
        ({"currency": "POUNDS"}, "currency"),
    ],
)
def test_a_broken_draft_is_refused_with_a_field_message_and_changes_nothing(change, field):
    from dataclasses import replace

    variant = make_stocked_variant(stock=5)
    draft = replace(make_draft([(variant, 1)]), **change)
    before = counts()

    with pytest.raises(ValidationFailed) as error:
        order_place(draft=draft, idempotency_key="bad")

    assert field in error.value.fields
    assert counts() == before


def test_a_card_number_as_token_is_refused_and_changes_nothing():
    variant = make_stocked_variant(stock=5)
    draft = make_draft([(variant, 1)], token="4242424242424242")
    before = counts()
    with pytest.raises(ValidationFailed) as error:
        order_place(draft=draft, idempotency_key="card")
    assert "token" in error.value.fields
    assert counts() == before
    assert stock_of(variant).allocated == 0
