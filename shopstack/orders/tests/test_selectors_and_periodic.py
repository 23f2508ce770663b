"""Customers see only their own orders; the scheduler enqueues every registered sweep."""

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from shopstack.accounts.tests.conftest import make_user
from shopstack.core.errors import NotFound
from shopstack.core.faults import InjectedFault, fault_point, faults_reload
from shopstack.core.periodic import periodic_all
from shopstack.orders import selectors
from shopstack.orders.services import order_place
from shopstack.testing.inventory import make_stocked_variant
from shopstack.testing.orders import make_draft, use_tasks_backend
from shopstack.testing.pricing import ensure_tax_seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orders():
    ensure_tax_seed()
    ann, bob = make_user("ann@example.com"), make_user("bob@example.com")
    variant = make_stocked_variant(stock=5)
    mine = order_place(
        draft=make_draft([(variant, 1)], customer_id=ann.pk, email="ann@example.com"), idempotency_key="a"
    )
    theirs = order_place(
        draft=make_draft([(variant, 1)], customer_id=bob.pk, email="bob@example.com"), idempotency_key="b"
    )
    return ann, mine, theirs


def test_a_customer_reads_only_their_own_orders(two_orders):
    ann, mine, theirs = two_orders
    assert list(selectors.orders_for_customer(user=ann)) == [mine]
    assert selectors.order_for_customer(user=ann, number=mine.number) == mine
    with pytest.raises(NotFound) as error:
        selectors.order_for_customer(user=ann, number=theirs.number)
    assert error.value.fields == {"number": ["We could not find that order."]}


def test_a_guest_needs_the_number_and_the_email_it_was_placed_with(two_orders):
    _, mine, _ = two_orders
    assert selectors.order_for_guest(number=mine.number.lower(), email="ANN@example.com") == mine
    for number, email in ((mine.number, "bob@example.com"), ("SS-NOPE", "ann@example.com"), ("", "")):
        with pytest.raises(NotFound):
            selectors.order_for_guest(number=number, email=email)


def test_customer_log_shows_milestones_only(two_orders):
    _, mine, _ = two_orders
    assert [e.kind for e in selectors.order_events(order=mine, customer_visible=True)] == ["placed"]


def test_the_periodic_registry_holds_the_sweeps():
    names = {p.name for p in periodic_all()}
    assert names >= {
        "orders.resume",
        "payments.reconcile",
        "inventory.reservations_expire",
        "core.outbox_dispatch",
    }


def test_scheduler_once_enqueues_each_sweep(settings):
    use_tasks_backend(settings, "django_tasks_db.DatabaseBackend")
    try:
        call_command("scheduler", "--once")
    finally:
        use_tasks_backend(settings, "django.tasks.backends.immediate.ImmediateBackend")
    paths = set(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths >= {
        "shopstack.orders.tasks.order_workflow_resume",
        "shopstack.orders.tasks.payments_reconcile_sweep",
        "shopstack.inventory.tasks.reservations_expire",
        "shopstack.core.tasks.outbox_dispatch",
    }
    assert len(paths) == len(periodic_all())


def test_a_fault_point_raises_or_does_nothing(monkeypatch):
    faults_reload()
    fault_point("after_authorize")  # not configured: nothing
    monkeypatch.setenv("SHOPSTACK_FAULTS", "other:kill,after_authorize:raise")
    faults_reload()
    try:
        with pytest.raises(InjectedFault):
            fault_point("after_authorize")
    finally:
        monkeypatch.delenv("SHOPSTACK_FAULTS")
        faults_reload()
