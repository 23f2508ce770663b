"""Double submits and races for the last unit, with real threads on the real database."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from shopstack.core.models import IdempotencyRecord
from shopstack.inventory.models import Allocation
from shopstack.orders.models import Order
from shopstack.orders.services import order_place
from shopstack.payments.models import Payment
from shopstack.payments.testgateway.models import LedgerCharge
from shopstack.testing.inventory import make_stocked_variant, stock_of
from shopstack.testing.orders import ORDER_APPS, make_draft
from shopstack.testing.pricing import ensure_tax_seed

pytestmark = pytest.mark.django_db(transaction=True, available_apps=ORDER_APPS)

SUBMITS = 50


def run_at_once(calls: list) -> tuple[list, list]:
    gate = threading.Event()
    results, errors = [], []

    def attempt(call):
        gate.wait()
        try:
            results.append(call())
        except Exception as error:  # collected: the test asserts which errors happened
            errors.append(error)
        finally:
            connection.close()

    # PostgreSQL allows 100 connections in all.
    with ThreadPoolExecutor(max_workers=40 if connection.vendor == "postgresql" else len(calls)) as pool:
        futures = [pool.submit(attempt, call) for call in calls]
        gate.set()
        for future in futures:
            future.result()
    return results, errors


def test_fifty_double_submits_of_one_checkout_make_one_order_and_one_authorization(live_gateway):
    ensure_tax_seed()
    variant = make_stocked_variant(stock=3)
    draft = make_draft([(variant, 2)], token=live_gateway.token("success"))

    results, errors = run_at_once([lambda: order_place(draft=draft, idempotency_key="double")] * SUBMITS)

    assert errors == []
    assert len({order.pk for order in results}) == 1
    order = Order.objects.get()
    assert Allocation.objects.filter(order_ref=order.number).count() == 1
    assert Payment.objects.filter(ref=f"order:{order.number}").count() == 1
    assert IdempotencyRecord.objects.filter(scope="order_place").count() == 1
    assert stock_of(variant).allocated == 2
    assert LedgerCharge.objects.count() == 1  # the gateway saw one authorization
    assert order.status == Order.Status.CONFIRMED


def test_different_keys_racing_for_the_last_unit_make_exactly_one_order(live_gateway):
    ensure_tax_seed()
    variant = make_stocked_variant(stock=1)
    token = live_gateway.token("success")
    drafts = [
        make_draft([(variant, 1)], reserve=False, email=f"b{i}@example.com", token=token) for i in range(20)
    ]

    results, errors = run_at_once(
        [lambda d=d, i=i: order_place(draft=d, idempotency_key=f"k{i}") for i, d in enumerate(drafts)]
    )

    assert len(results) == 1
    assert len(errors) == 19
    assert {e.code for e in errors} == {"out_of_stock"}
    assert Order.objects.count() == 1
    assert Payment.objects.count() == 1
    stock = stock_of(variant)
    assert stock.allocated == 1
    assert stock.quantity == 1
