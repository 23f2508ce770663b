"""Stock at the end of checkout: placing after the reservation lapsed, the one wording of
"out of stock", and the periodic sweep that closes abandoned checkouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from shopstack.checkout import services
from shopstack.checkout.models import Cart, Checkout
from shopstack.checkout.tasks import checkouts_abandon
from shopstack.core.errors import Conflict
from shopstack.core.periodic import periodic_all
from shopstack.inventory.models import Reservation
from shopstack.inventory.services import stock_expire_reservations, stock_reserve
from shopstack.orders.models import Order
from shopstack.testing.cart import variant_of
from shopstack.testing.checkout import ensure_checkout_data, make_checkout
from shopstack.testing.factories import make_product
from shopstack.testing.inventory import stock_of, stock_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data(db: None) -> None:
    ensure_checkout_data()


@pytest.fixture
def mug(db: None):
    return make_product(name="Enamel mug", price="10.00", stock=3)


def lapse(checkout: Checkout) -> None:
    """The shopper went away: the reservation's time is up and the sweep freed it."""
    past = timezone.now() - timedelta(seconds=1)
    Reservation.objects.filter(ref=checkout.reservation_ref).update(expires_at=past)
    Checkout.objects.filter(pk=checkout.pk).update(reserved_until=past)
    assert stock_expire_reservations() >= 1


def test_placing_after_the_reservation_lapsed_takes_free_stock(mug) -> None:
    checkout = make_checkout(lines={mug: 2}, payment_token="tok_success")
    lapse(checkout)
    assert stock_of(variant_of(mug)).reserved == 0
    order = services.checkout_place(checkout=checkout, payment_token="tok_success", idempotency_key="k1")
    stock = stock_of(variant_of(mug))
    assert (stock.allocated, stock.reserved) == (2, 0)
    assert order.lines.get().quantity == 2


def test_units_taken_by_another_shopper_while_away_refuse_placing_as_out_of_stock(mug) -> None:
    checkout = make_checkout(lines={mug: 2}, payment_token="tok_success")
    lapse(checkout)
    stock_reserve(ref="checkout:someone-else", lines=[(variant_of(mug).pk, 2)])
    before = stock_snapshot()
    with pytest.raises(Conflict) as refused:
        services.checkout_place(checkout=checkout, payment_token="tok_success", idempotency_key="k1")
    assert refused.value.code == "out_of_stock"
    assert refused.value.message == services.OUT_OF_STOCK
    short = "Enamel mug: Only 1 left; please lower the quantity in your cart."
    assert refused.value.fields == {"cart": [short]}
    assert stock_snapshot() == before
    assert not Order.objects.exists()
    # Free for a corrected attempt.
    assert Checkout.objects.get(pk=checkout.pk).place_key == ""


def test_losing_the_race_while_placing_reads_as_the_cart_check_does(mug, monkeypatch) -> None:
    """The cart check passed, then another shopper took the units before the allocation:
    the same code, message and field as when the cart is short from the start."""
    checkout = make_checkout(lines={mug: 2}, payment_token="tok_success")
    lapse(checkout)
    from shopstack.checkout.services import placing

    real = placing.order_place

    def after_a_racing_buyer(**kwargs):
        stock_reserve(ref="checkout:racer", lines=[(variant_of(mug).pk, 3)])
        return real(**kwargs)

    monkeypatch.setattr(placing, "order_place", after_a_racing_buyer)
    with pytest.raises(Conflict) as refused:
        services.checkout_place(checkout=checkout, payment_token="tok_success", idempotency_key="k1")
    assert refused.value.code == "out_of_stock"
    assert refused.value.message == services.OUT_OF_STOCK
    assert refused.value.fields == {"cart": ["Enamel mug: Out of stock; please remove it from your cart."]}
    assert not Order.objects.exists()


def idle(checkout: Checkout, *, hours: float) -> None:
    Checkout.objects.filter(pk=checkout.pk).update(updated_at=timezone.now() - timedelta(hours=hours))


def test_the_sweep_closes_stale_checkouts_and_releases_their_stock(mug, settings) -> None:
    settings.CHECKOUT_ABANDONED_AFTER_SECONDS = 3600
    stale = make_checkout(lines={mug: 1})
    past = timezone.now() - timedelta(minutes=1)
    # Still holding its units (the expiry sweep has not run yet): the abandon sweep frees them.
    Checkout.objects.filter(pk=stale.pk).update(reserved_until=past)
    idle(stale, hours=2)
    recent = make_checkout(lines={mug: 1})
    Checkout.objects.filter(pk=recent.pk).update(reserved_until=past)
    idle(recent, hours=0.5)
    held = make_checkout(lines={mug: 1})  # reservation still running
    idle(held, hours=2)
    assert stock_of(variant_of(mug)).reserved == 3

    assert checkouts_abandon.call() == 1
    assert Checkout.objects.get(pk=stale.pk).status == Checkout.Status.ABANDONED
    assert Checkout.objects.get(pk=recent.pk).status == Checkout.Status.OPEN
    assert Checkout.objects.get(pk=held.pk).status == Checkout.Status.OPEN
    assert Cart.objects.get(pk=stale.cart_id).status == Cart.Status.OPEN  # the shopper may come back
    assert stock_of(variant_of(mug)).reserved == 2
    assert Reservation.objects.get(ref=stale.reservation_ref).status == Reservation.Status.RELEASED
    assert checkouts_abandon.call() == 0  # once only


def test_a_checkout_being_placed_is_not_abandoned(mug, settings) -> None:
    settings.CHECKOUT_ABANDONED_AFTER_SECONDS = 60
    checkout = make_checkout(lines={mug: 1})
    Checkout.objects.filter(pk=checkout.pk).update(
        place_key="in-flight", reserved_until=timezone.now() - timedelta(minutes=5)
    )
    idle(checkout, hours=1)
    assert services.checkouts_abandon_stale() == 0
    assert Checkout.objects.get(pk=checkout.pk).status == Checkout.Status.OPEN


def test_coming_back_after_the_sweep_starts_a_new_checkout_of_the_same_cart(mug, settings) -> None:
    settings.CHECKOUT_ABANDONED_AFTER_SECONDS = 60
    checkout = make_checkout(lines={mug: 2})
    lapse(checkout)
    idle(checkout, hours=1)
    assert services.checkouts_abandon_stale() == 1
    again = services.checkout_start(cart=checkout.cart)
    assert again.pk != checkout.pk
    assert again.status == Checkout.Status.OPEN
    assert stock_of(variant_of(mug)).reserved == 2


def test_the_sweep_is_registered_with_the_scheduler() -> None:
    [sweep] = [p for p in periodic_all() if p.name == "checkout.abandon_stale"]
    assert sweep.task is checkouts_abandon
    names = {p.name for p in periodic_all()}
    assert "inventory.reservations_expire" in names  # the reservations' own expiry sweep
