from datetime import timedelta

import pytest
from django.utils import timezone

from shopstack.core.errors import Conflict, ValidationFailed
from shopstack.core.models import OutboxEvent
from shopstack.inventory.models import Allocation, Reservation
from shopstack.inventory.selectors import allocations_for_order, variant_available
from shopstack.inventory.services import (
    OutOfStock,
    stock_allocate,
    stock_deallocate,
    stock_reserve,
    stock_return,
    stock_ship,
)
from shopstack.testing.inventory import make_stocked_variant, stock_of, stock_snapshot

pytestmark = pytest.mark.django_db


def counters(variant, slug="main"):
    stock = stock_of(variant, slug)
    return stock.quantity, stock.allocated, stock.reserved


def test_allocating_converts_the_checkout_reservation():
    variant = make_stocked_variant(stock=10)
    stock_reserve(ref="checkout:1", lines=[(variant.pk, 3)])
    allocations = stock_allocate(ref="checkout:1", order_ref="O-1", lines=[("L1", variant.pk, 3)])
    assert [(a.line_ref, a.quantity, a.status) for a in allocations] == [("L1", 3, "allocated")]
    assert counters(variant) == (10, 3, 0)
    assert Reservation.objects.get(ref="checkout:1").status == "converted"
    assert OutboxEvent.objects.filter(name="StockAllocated", aggregate_id="O-1").count() == 1


def test_allocating_is_idempotent_per_order():
    variant = make_stocked_variant(stock=10)
    stock_reserve(ref="checkout:2", lines=[(variant.pk, 2)])
    first = stock_allocate(ref="checkout:2", order_ref="O-2", lines=[("L1", variant.pk, 2)])
    again = stock_allocate(ref="checkout:2", order_ref="O-2", lines=[("L1", variant.pk, 2)])
    assert [a.pk for a in again] == [a.pk for a in first]
    assert counters(variant) == (10, 2, 0)
    assert OutboxEvent.objects.filter(name="StockAllocated").count() == 1


def test_a_repeat_with_different_lines_is_a_conflict():
    variant = make_stocked_variant(stock=10)
    stock_allocate(ref="checkout:3", order_ref="O-3", lines=[("L1", variant.pk, 2)])
    with pytest.raises(Conflict) as refused:
        stock_allocate(ref="checkout:3", order_ref="O-3", lines=[("L1", variant.pk, 5)])
    assert refused.value.code == "allocation_mismatch"
    assert counters(variant) == (10, 2, 0)


def test_a_lapsed_reservation_is_allocated_directly_while_stock_remains():
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:4", lines=[(variant.pk, 2)], ttl_seconds=60)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(minutes=5))
    stock_reserve(ref="checkout:other", lines=[(variant.pk, 3)])  # sweeps checkout:4's units
    assert Reservation.objects.get(ref="checkout:4").status == "expired"
    stock_allocate(ref="checkout:4", order_ref="O-4", lines=[("L1", variant.pk, 2)])
    assert counters(variant) == (5, 2, 3)


def test_a_lapsed_reservation_whose_stock_is_gone_is_out_of_stock():
    variant = make_stocked_variant(stock=3)
    stock_reserve(ref="checkout:5", lines=[(variant.pk, 2)], ttl_seconds=60)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(minutes=5))
    stock_reserve(ref="checkout:rival", lines=[(variant.pk, 3)])
    before = stock_snapshot()
    with pytest.raises(OutOfStock) as refused:
        stock_allocate(ref="checkout:5", order_ref="O-5", lines=[("L1", variant.pk, 2)])
    assert refused.value.fields == {f"variant:{variant.pk}": ["Out of stock."]}
    assert stock_snapshot() == before
    assert not Allocation.objects.exists()


def test_lapsed_but_unswept_units_of_the_same_checkout_are_still_its_own():
    variant = make_stocked_variant(stock=2)
    stock_reserve(ref="checkout:6", lines=[(variant.pk, 2)], ttl_seconds=60)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(minutes=5))
    stock_allocate(ref="checkout:6", order_ref="O-6", lines=[("L1", variant.pk, 2)])
    assert counters(variant) == (2, 2, 0)
    assert Reservation.objects.get(ref="checkout:6").status == "converted"


def test_units_reserved_beyond_the_order_lines_are_released():
    kept = make_stocked_variant(stock=5)
    dropped = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:7", lines=[(kept.pk, 3), (dropped.pk, 1)])
    stock_allocate(ref="checkout:7", order_ref="O-7", lines=[("L1", kept.pk, 2)])
    assert counters(kept) == (5, 2, 0)
    assert counters(dropped) == (5, 0, 0)
    assert Reservation.objects.get(ref="checkout:7", variant=dropped).status == "released"


def test_a_line_larger_than_its_reservation_takes_the_rest_from_free_stock():
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:8", lines=[(variant.pk, 1)])
    stock_allocate(ref="checkout:8", order_ref="O-8", lines=[("L1", variant.pk, 4)])
    assert counters(variant) == (5, 4, 0)


def test_a_split_reservation_becomes_one_allocation_per_warehouse():
    variant = make_stocked_variant(stock={"main": 2, "north": 2})
    stock_reserve(ref="checkout:9", lines=[(variant.pk, 3)])
    allocations = stock_allocate(ref="checkout:9", order_ref="O-9", lines=[("L1", variant.pk, 3)])
    assert sorted((a.warehouse.slug, a.quantity) for a in allocations) == [("main", 2), ("north", 1)]
    assert counters(variant, "main")[1:] == (2, 0)
    assert counters(variant, "north")[1:] == (1, 0)


def test_deallocating_releases_units_once():
    variant = make_stocked_variant(stock=5)
    stock_allocate(ref="checkout:10", order_ref="O-10", lines=[("L1", variant.pk, 2), ("L2", variant.pk, 1)])
    assert stock_deallocate(order_ref="O-10", line_refs=["L2"]) == 1
    assert counters(variant) == (5, 2, 0)
    assert stock_deallocate(order_ref="O-10") == 2
    assert stock_deallocate(order_ref="O-10") == 0
    assert counters(variant) == (5, 0, 0)
    assert variant_available(variant_id=variant.pk) == 5
    assert set(Allocation.objects.values_list("status", flat=True)) == {"released"}


def test_shipping_takes_units_off_hand_and_off_allocated():
    variant = make_stocked_variant(stock=5)
    stock_allocate(ref="checkout:11", order_ref="O-11", lines=[("L1", variant.pk, 2)])
    assert stock_ship(order_ref="O-11") == 2
    assert stock_ship(order_ref="O-11") == 0
    assert counters(variant) == (3, 0, 0)
    assert variant_available(variant_id=variant.pk) == 3
    assert stock_deallocate(order_ref="O-11") == 0  # shipped units are not released
    assert counters(variant) == (3, 0, 0)


def test_returns_add_units_back_only_when_restocked():
    variant = make_stocked_variant(stock=5)
    stock_allocate(ref="checkout:12", order_ref="O-12", lines=[("L1", variant.pk, 3)])
    stock_ship(order_ref="O-12")
    assert stock_return(order_ref="O-12", line_ref="L1", quantity=1, restock=True) == 1
    assert counters(variant) == (3, 0, 0)
    assert stock_return(order_ref="O-12", line_ref="L1", quantity=2, restock=False) == 2
    assert counters(variant) == (3, 0, 0)
    allocation = Allocation.objects.get(order_ref="O-12")
    assert (allocation.status, allocation.returned_quantity) == ("returned", 3)
    with pytest.raises(ValidationFailed) as refused:
        stock_return(order_ref="O-12", line_ref="L1", quantity=1, restock=True)
    assert refused.value.fields == {"quantity": ["At most 0 can be returned."]}
    assert counters(variant) == (3, 0, 0)


def test_a_return_with_a_return_ref_happens_once():
    variant = make_stocked_variant(stock=5)
    stock_allocate(ref="checkout:13", order_ref="O-13", lines=[("L1", variant.pk, 3)])
    stock_ship(order_ref="O-13")
    assert stock_return(order_ref="O-13", line_ref="L1", quantity=2, restock=True, return_ref="R1") == 2
    assert stock_return(order_ref="O-13", line_ref="L1", quantity=2, restock=True, return_ref="R1") == 2
    assert counters(variant) == (4, 0, 0)
    assert Allocation.objects.get(order_ref="O-13").returned_quantity == 2


def test_unshipped_units_cannot_be_returned():
    variant = make_stocked_variant(stock=5)
    stock_allocate(ref="checkout:14", order_ref="O-14", lines=[("L1", variant.pk, 3)])
    before = stock_snapshot()
    with pytest.raises(ValidationFailed) as refused:
        stock_return(order_ref="O-14", line_ref="L1", quantity=1, restock=True)
    assert refused.value.fields == {"quantity": ["At most 0 can be returned."]}
    with pytest.raises(ValidationFailed) as unknown:
        stock_return(order_ref="O-14", line_ref="nope", quantity=1, restock=True)
    assert unknown.value.fields == {"line_ref": ["Unknown line."]}
    assert stock_snapshot() == before


def test_unknown_line_refs_are_refused_and_nothing_changes():
    variant = make_stocked_variant(stock=5)
    stock_allocate(ref="checkout:15", order_ref="O-15", lines=[("L1", variant.pk, 3)])
    before = stock_snapshot()
    for service in (stock_deallocate, stock_ship):
        with pytest.raises(ValidationFailed) as refused:
            service(order_ref="O-15", line_refs=["L1", "L9"])
        assert refused.value.fields == {"line_refs": ["Unknown line: L9."]}
    assert stock_snapshot() == before
    assert [a.status for a in allocations_for_order(order_ref="O-15")] == ["allocated"]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([("L1", "VARIANT", 0)], "variant"),
        ([("L1", "VARIANT", -2)], "variant"),
        ([("L1", "VARIANT", 10**9)], "variant"),
        ([("L1", "VARIANT", 0.5)], "variant"),
        ([("L1", 424_242, 1)], "variant:424242"),
        ([("L1", "VARIANT", 1), ("L1", "VARIANT", 1)], "lines"),
        ([("", "VARIANT", 1)], "lines"),
        ([], "lines"),
    ],
)
def test_bad_allocation_lines_are_refused_and_change_nothing(lines, field):
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:16", lines=[(variant.pk, 1)])
    lines = [tuple(variant.pk if part == "VARIANT" else part for part in line) for line in lines]
    before = stock_snapshot()
    with pytest.raises(ValidationFailed) as refused:
        stock_allocate(ref="checkout:16", order_ref="O-16", lines=lines)
    expected = f"variant:{variant.pk}" if field == "variant" else field
    assert list(refused.value.fields) == [expected]
    assert stock_snapshot() == before
    assert not Allocation.objects.exists()
    assert Reservation.objects.get(ref="checkout:16").status == "active"
