"""The read-only payments back office: what it shows, what it hides, who may see it."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.payments.models import (
    Payment,
    PaymentStatus,
    PaymentTransaction,
    PaymentWebhookEvent,
    TransactionKind,
    TransactionStatus,
)

pytestmark = pytest.mark.django_db

PAYMENTS = "/admin/payments/payment/"
TRANSACTIONS = "/admin/payments/paymenttransaction/"
WEBHOOKS = "/admin/payments/paymentwebhookevent/"
CARD_TOKEN = "tok_9f8e7d6c5b4a39281706"


@pytest.fixture
def payment():
    payment = Payment.objects.create(
        ref="order:100042",
        amount=Decimal("25.00"),
        currency="GBP",
        token=CARD_TOKEN,
        gateway="testgateway",
        gateway_reference="ch_abc123",
        status=PaymentStatus.CAPTURED,
        captured_amount=Decimal("25.00"),
    )
    PaymentTransaction.objects.create(
        payment=payment,
        kind=TransactionKind.AUTHORIZE,
        amount=Decimal("25.00"),
        status=TransactionStatus.SUCCEEDED,
        idempotency_key=f"pay_{payment.uid.hex}_authorize",
        sent_at=timezone.now(),
        timeout_seconds=10,
        gateway_response={"id": "ch_abc123", "status": "authorized", "token": CARD_TOKEN},
    )
    PaymentTransaction.objects.create(
        payment=payment,
        kind=TransactionKind.CAPTURE,
        amount=Decimal("25.00"),
        status=TransactionStatus.SUCCEEDED,
        idempotency_key=f"pay_{payment.uid.hex}_capture",
    )
    PaymentWebhookEvent.objects.create(
        gateway="testgateway",
        event_id="evt_77",
        type="payment.authorized",
        payload={"id": "ch_abc123", "payment_method": "pm_secret_card"},
    )
    other = Payment.objects.create(
        ref="order:100043", amount=Decimal("9.00"), currency="GBP", token="tok_other", gateway="testgateway"
    )
    other.status = PaymentStatus.FAILED
    other.failure_code = "card_declined"
    other.save()
    return payment


def staff_with(client, *roles: str, email: str = "staff@example.com", **extra):
    user = make_user(email, is_staff=True, **extra)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    add_totp(user)  # staff without a second factor are sent to set one up
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(client):
    """A superuser with a second factor (the admin demands one of staff)."""
    return staff_with(client, email="boss@example.com", is_superuser=True)


@pytest.mark.parametrize("role", ["Order manager", "Support"])
def test_order_managers_and_support_see_payments_transactions_and_webhooks(client, payment, role):
    staff = staff_with(client, role)
    listing = staff.get(PAYMENTS)
    assert listing.status_code == 200
    assert "100042" in listing.content.decode()
    page = staff.get(f"{PAYMENTS}{payment.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "ch_abc123" in body
    assert f"pay_{payment.uid.hex}_authorize" in body
    assert f"pay_{payment.uid.hex}_capture" in body
    assert "/admin/orders/order/?q=100042" in body  # the linked order
    assert staff.get(TRANSACTIONS).status_code == 200
    assert staff.get(WEBHOOKS).status_code == 200


def test_search_by_order_number_gateway_reference_and_idempotency_key(admin_client, payment):
    for term in ("100042", "order:100042", "ch_abc123", f"pay_{payment.uid.hex}_capture"):
        found = admin_client.get(PAYMENTS, {"q": term}).content.decode()
        assert "order:100042" in found, term
        assert "order:100043" not in found, term
    assert "order:100042" not in admin_client.get(PAYMENTS, {"q": "10004"}).content.decode()  # exact only
    txns = admin_client.get(TRANSACTIONS, {"q": "100042"}).content.decode()
    assert f"pay_{payment.uid.hex}_authorize" in txns


def test_list_filters_by_status_and_kind(admin_client, payment):
    failed = admin_client.get(PAYMENTS, {"status__exact": "failed"}).content.decode()
    assert "order:100043" in failed
    assert "order:100042" not in failed
    captures = admin_client.get(TRANSACTIONS, {"kind__exact": "capture"}).content.decode()
    assert f"pay_{payment.uid.hex}_capture" in captures
    assert f"pay_{payment.uid.hex}_authorize" not in captures


def test_no_card_token_or_card_details_on_any_page(admin_client, payment):
    txn = payment.transactions.get(kind=TransactionKind.AUTHORIZE)
    webhook = PaymentWebhookEvent.objects.get()
    pages = [
        admin_client.get(url).content.decode()
        for url in (
            PAYMENTS,
            f"{PAYMENTS}{payment.pk}/change/",
            TRANSACTIONS,
            f"{TRANSACTIONS}{txn.pk}/change/",
            f"{WEBHOOKS}{webhook.pk}/change/",
        )
    ]
    assert all(CARD_TOKEN not in page for page in pages)
    assert "pm_secret_card" not in pages[4]
    assert "[hidden]" in pages[3]
    assert "&quot;status&quot;: &quot;authorized&quot;" in pages[3]  # the rest of the answer is shown


def test_nothing_can_be_added_changed_or_deleted_even_by_a_superuser(admin_client, payment):
    assert admin_client.get(f"{PAYMENTS}add/").status_code == 403
    assert admin_client.get(f"{PAYMENTS}{payment.pk}/delete/").status_code == 403
    response = admin_client.post(f"{PAYMENTS}{payment.pk}/change/", {"status": "refunded"})
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CAPTURED
    assert admin_client.get(f"{TRANSACTIONS}add/").status_code == 403
    page = admin_client.get(f"{PAYMENTS}{payment.pk}/change/").content.decode()
    assert 'name="_save"' not in page


def test_staff_without_a_role_and_customers_cannot_see_payments(client, payment):
    staff = staff_with(client, "Catalog manager", email="catalog@example.com")
    assert staff.get(PAYMENTS).status_code == 403
    assert staff.get(f"{PAYMENTS}{payment.pk}/change/").status_code == 403
    assert staff.get(TRANSACTIONS).status_code == 403
    client.logout()
    customer = make_user("buyer@example.com")
    client.force_login(customer)
    assert client.get(PAYMENTS).status_code == 302  # to the admin login


def test_the_test_gateways_ledger_is_not_in_the_back_office(admin_client):
    assert admin_client.get("/admin/payments/ledgercharge/").status_code == 404
