from datetime import timedelta

import pytest
from django.utils import timezone

from shopstack.core.errors import ValidationFailed
from shopstack.core.models import OutboxEvent
from shopstack.inventory.models import Reservation
from shopstack.inventory.selectors import reservations_active, variant_available, variants_available
from shopstack.inventory.services import (
    MAX_LINE_QUANTITY,
    OutOfStock,
    stock_expire_reservations,
    stock_release,
    stock_reserve,
    stock_set_quantity,
)
from shopstack.inventory.tasks import reservations_expire
from shopstack.testing.factories import make_warehouse
from shopstack.testing.inventory import make_stocked_variant, stock_of, stock_snapshot

pytestmark = pytest.mark.django_db


def test_reserving_holds_units_and_lowers_availability():
    variant = make_stocked_variant(stock=10)
    reservations = stock_reserve(ref="checkout:a", lines=[(variant.pk, 3)], ttl_seconds=600)
    assert [(r.variant_id, r.quantity, r.status) for r in reservations] == [(variant.pk, 3, "active")]
    assert stock_of(variant).reserved == 3
    assert variant_available(variant_id=variant.pk) == 7
    assert OutboxEvent.objects.filter(name="StockReserved", aggregate_id="checkout:a").exists()
    changed = OutboxEvent.objects.get(name="StockChanged", aggregate_id="checkout:a")
    assert changed.payload["variant_ids"] == [variant.pk]


def test_reserving_moves_the_product_only_when_it_sells_out_or_comes_back():
    variant = make_stocked_variant(stock=3)
    product = variant.product
    before = product.updated_at
    stock_reserve(ref="checkout:t", lines=[(variant.pk, 1)])
    product.refresh_from_db()
    # Still on sale: no page, ETag or search document shows anything new.
    assert (product.in_stock, product.updated_at) == (True, before)
    stock_reserve(ref="checkout:u", lines=[(variant.pk, 2)])
    product.refresh_from_db()
    assert product.in_stock is False
    assert product.updated_at > before
    sold_out_at = product.updated_at
    stock_release(ref="checkout:t")
    product.refresh_from_db()
    assert product.in_stock is True
    assert product.updated_at > sold_out_at


def test_a_stock_count_always_moves_the_product():
    variant = make_stocked_variant(stock=3)
    product = variant.product
    before = product.updated_at
    stock = stock_of(variant)
    stock_set_quantity(actor=None, variant=variant, warehouse=stock.warehouse, quantity=7)
    product.refresh_from_db()
    assert product.in_stock is True
    assert product.updated_at > before


def test_a_product_with_another_variant_in_stock_stays_on_sale():
    variant = make_stocked_variant(stock=1)
    product = variant.product
    other = product.variants.create(sku=f"{variant.sku}-B", name="B", price_amount=variant.price_amount)
    stock_set_quantity(actor=None, variant=other, warehouse=stock_of(variant).warehouse, quantity=2)
    product.refresh_from_db()
    before = product.updated_at
    stock_reserve(ref="checkout:v", lines=[(variant.pk, 1)])
    product.refresh_from_db()
    assert (product.in_stock, product.updated_at) == (True, before)
    stock_reserve(ref="checkout:w", lines=[(other.pk, 2)])
    product.refresh_from_db()
    assert product.in_stock is False


def test_too_many_raises_out_of_stock_with_a_field_per_variant_and_changes_nothing():
    variant = make_stocked_variant(stock=2)
    before = stock_snapshot()
    with pytest.raises(OutOfStock) as refused:
        stock_reserve(ref="checkout:b", lines=[(variant.pk, 3)])
    assert refused.value.code == "out_of_stock"
    assert refused.value.status == 409
    assert refused.value.fields == {f"variant:{variant.pk}": ["Only 2 left."]}
    assert refused.value.available == {variant.pk: 2}
    assert stock_snapshot() == before
    assert not Reservation.objects.exists()


def test_multi_line_is_all_or_nothing():
    plenty = make_stocked_variant(stock=10)
    scarce = make_stocked_variant(stock=0)
    with pytest.raises(OutOfStock) as refused:
        stock_reserve(ref="checkout:c", lines=[(plenty.pk, 2), (scarce.pk, 1)])
    assert refused.value.fields == {f"variant:{scarce.pk}": ["Out of stock."]}
    assert stock_of(plenty).reserved == 0
    assert not Reservation.objects.exists()
    assert not OutboxEvent.objects.filter(name="StockReserved").exists()


def test_re_reserving_for_the_same_ref_replaces_the_previous_lines():
    first = make_stocked_variant(stock=5)
    second = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:d", lines=[(first.pk, 4)])
    stock_reserve(ref="checkout:d", lines=[(first.pk, 1), (second.pk, 2)])
    assert stock_of(first).reserved == 1
    assert stock_of(second).reserved == 2
    assert sorted((r.variant_id, r.quantity) for r in reservations_active(ref="checkout:d")) == sorted(
        [(first.pk, 1), (second.pk, 2)]
    )
    assert Reservation.objects.filter(ref="checkout:d", status="released").count() == 1


def test_a_cart_can_grow_into_units_it_already_held():
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:grow", lines=[(variant.pk, 3)])
    stock_reserve(ref="checkout:grow", lines=[(variant.pk, 5)])
    assert stock_of(variant).reserved == 5


def test_a_failed_replacement_keeps_what_the_ref_held():
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:keep", lines=[(variant.pk, 2)])
    with pytest.raises(OutOfStock):
        stock_reserve(ref="checkout:keep", lines=[(variant.pk, 6)])
    assert stock_of(variant).reserved == 2
    assert [r.quantity for r in reservations_active(ref="checkout:keep")] == [2]


def test_repeating_the_same_lines_renews_the_expiry_without_new_rows():
    variant = make_stocked_variant(stock=5)
    first = stock_reserve(ref="checkout:e", lines=[(variant.pk, 2)], ttl_seconds=60)
    again = stock_reserve(ref="checkout:e", lines=[(variant.pk, 2)], ttl_seconds=3600)
    assert [r.pk for r in again] == [r.pk for r in first]
    assert again[0].expires_at > first[0].expires_at
    assert Reservation.objects.get(pk=first[0].pk).expires_at == again[0].expires_at
    assert stock_of(variant).reserved == 2


def test_repeated_variant_lines_are_added_together():
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:sum", lines=[(variant.pk, 2), (variant.pk, 1)])
    assert stock_of(variant).reserved == 3


def test_a_line_is_split_over_warehouses_in_a_fixed_order_when_no_one_has_it_all():
    variant = make_stocked_variant(stock={"main": 2, "north": 3})
    reservations = stock_reserve(ref="checkout:f", lines=[(variant.pk, 4)])
    assert sorted((r.warehouse.slug, r.quantity) for r in reservations) == [("main", 2), ("north", 2)]
    assert variant_available(variant_id=variant.pk) == 1


def test_one_warehouse_that_has_the_whole_line_is_preferred():
    variant = make_stocked_variant(stock={"main": 2, "north": 5})
    reservations = stock_reserve(ref="checkout:g", lines=[(variant.pk, 4)])
    assert [(r.warehouse.slug, r.quantity) for r in reservations] == [("north", 4)]


def test_inactive_warehouses_are_not_sold_from():
    variant = make_stocked_variant(stock={"main": 1, "closed": 5})
    closed = make_warehouse("closed")
    closed.is_active = False
    closed.save()
    assert variant_available(variant_id=variant.pk) == 1
    with pytest.raises(OutOfStock) as refused:
        stock_reserve(ref="checkout:h", lines=[(variant.pk, 2)])
    assert refused.value.available == {variant.pk: 1}


def test_lapsed_units_count_again_only_in_active_warehouses():
    variant = make_stocked_variant(stock={"main": 2, "north": 3})
    stock_reserve(ref="checkout:lapsed", lines=[(variant.pk, 5)], ttl_seconds=60)
    assert variants_available(variant_ids=[variant.pk]) == {variant.pk: 0}
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert variants_available(variant_ids=[variant.pk]) == {variant.pk: 5}
    north = make_warehouse("north")
    north.is_active = False
    north.save()
    assert variants_available(variant_ids=[variant.pk]) == {variant.pk: 2}


def test_release_gives_units_back_and_is_idempotent():
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:i", lines=[(variant.pk, 5)])
    assert stock_release(ref="checkout:i") == 1
    assert stock_release(ref="checkout:i") == 0
    assert stock_of(variant).reserved == 0
    assert Reservation.objects.get(ref="checkout:i").status == "released"


def test_expiry_frees_stock_for_others_even_before_the_sweep_runs():
    variant = make_stocked_variant(stock=3)
    stock_reserve(ref="checkout:old", lines=[(variant.pk, 3)], ttl_seconds=60)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert variant_available(variant_id=variant.pk) == 3
    stock_reserve(ref="checkout:new", lines=[(variant.pk, 3)])
    assert Reservation.objects.get(ref="checkout:old").status == "expired"
    assert stock_of(variant).reserved == 3


def test_the_sweep_expires_only_lapsed_reservations():
    variant = make_stocked_variant(stock=10)
    stock_reserve(ref="checkout:lapsed", lines=[(variant.pk, 4)], ttl_seconds=60)
    stock_reserve(ref="checkout:live", lines=[(variant.pk, 1)], ttl_seconds=600)
    assert stock_expire_reservations(now=timezone.now() + timedelta(seconds=120)) == 1
    assert stock_of(variant).reserved == 1
    assert Reservation.objects.get(ref="checkout:lapsed").status == "expired"
    assert Reservation.objects.get(ref="checkout:live").status == "active"
    assert stock_expire_reservations(now=timezone.now() + timedelta(seconds=120)) == 0
    assert OutboxEvent.objects.filter(name="ReservationsExpired").count() == 1


def test_the_task_sweeps_lapsed_reservations():
    variant = make_stocked_variant(stock=10)
    stock_reserve(ref="checkout:task", lines=[(variant.pk, 4)], ttl_seconds=60)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    result = reservations_expire.enqueue()
    assert result.return_value == 1
    assert stock_of(variant).reserved == 0


def test_bulk_availability_in_one_query(django_assert_num_queries):
    a = make_stocked_variant(stock=4)
    b = make_stocked_variant(stock={"main": 1, "north": 2})
    stock_reserve(ref="checkout:bulk", lines=[(a.pk, 1), (b.pk, 2)])
    with django_assert_num_queries(1):
        available = variants_available(variant_ids=[a.pk, b.pk, 999_999])
    assert available == {a.pk: 3, b.pk: 1, 999_999: 0}


def test_a_count_below_what_is_reserved_releases_the_newest_reservations():
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:older", lines=[(variant.pk, 2)])
    stock_reserve(ref="checkout:newer", lines=[(variant.pk, 2)])
    stock_set_quantity(actor=None, variant=variant, warehouse=make_warehouse("main"), quantity=3)
    stock = stock_of(variant)
    assert (stock.quantity, stock.reserved) == (3, 2)
    assert Reservation.objects.get(ref="checkout:newer").status == "released"
    assert Reservation.objects.get(ref="checkout:older").status == "active"


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([("VARIANT", 0)], "quantity 0"),
        ([("VARIANT", -1)], "negative"),
        ([("VARIANT", MAX_LINE_QUANTITY + 1)], "huge"),
        ([("VARIANT", 1.5)], "fractional"),
        ([("VARIANT", "2")], "a string"),
        ([("VARIANT", True)], "a bool"),
    ],
)
def test_bad_quantities_are_refused_and_change_nothing(lines, field):
    variant = make_stocked_variant(stock=5)
    other = make_stocked_variant(stock=5)
    lines = [(other.pk, 1)] + [(variant.pk, quantity) for _, quantity in lines]
    before = stock_snapshot()
    with pytest.raises(ValidationFailed) as refused:
        stock_reserve(ref="checkout:bad", lines=lines)
    assert list(refused.value.fields) == [f"variant:{variant.pk}"], field
    assert stock_snapshot() == before
    assert not Reservation.objects.exists()


def test_an_unknown_variant_is_refused_and_nothing_changes():
    variant = make_stocked_variant(stock=5)
    before = stock_snapshot()
    with pytest.raises(ValidationFailed) as refused:
        stock_reserve(ref="checkout:unknown", lines=[(variant.pk, 1), (987_654, 1)])
    assert refused.value.fields == {"variant:987654": ["No such product variant."]}
    assert stock_snapshot() == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"ref": ""}, "ref"),
        ({"ref": "x" * 129}, "ref"),
        ({"lines": []}, "lines"),
        ({"lines": [(1,)]}, "lines"),
        ({"lines": [("one", 1)]}, "lines"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"ttl_seconds": 10**9}, "ttl_seconds"),
    ],
)
def test_bad_refs_lines_and_times_are_refused(kwargs, field):
    variant = make_stocked_variant(stock=5)
    arguments = {"ref": "checkout:x", "lines": [(variant.pk, 1)], "ttl_seconds": 60, **kwargs}
    with pytest.raises(ValidationFailed) as refused:
        stock_reserve(**arguments)
    assert field in refused.value.fields
    assert stock_of(variant).reserved == 0
