"""The stock count the product API merges into every answer: exact, and one query."""

from datetime import timedelta

from django.utils import timezone

from shopstack.catalog.selectors import variant_availability
from shopstack.inventory.models import Reservation, Stock
from shopstack.inventory.services import stock_reserve
from shopstack.testing.factories import make_product, make_warehouse


def test_variant_availability_counts_reservations_lapses_and_closed_warehouses(db):
    plain = make_product(name="Plain", stock=10).variants.get()
    reserved = make_product(name="Reserved", stock=10).variants.get()
    lapsed = make_product(name="Lapsed", stock=10).variants.get()
    split = make_product(name="Split", stock=4).variants.get()
    empty = make_product(name="Empty", stock=0).variants.get()
    overflow = make_warehouse("overflow")
    closed = make_warehouse("closed")
    Stock.objects.create(variant=split, warehouse=overflow, quantity=6)
    Stock.objects.create(variant=split, warehouse=closed, quantity=50)
    closed.is_active = False
    closed.save()

    stock_reserve(ref="checkout:a", lines=[(reserved.pk, 4), (split.pk, 5)])
    stock_reserve(ref="checkout:b", lines=[(lapsed.pk, 6)])
    # Lapsed but not yet swept: the units still sit in `reserved`, and both counts free them.
    Reservation.objects.filter(ref="checkout:b").update(expires_at=timezone.now() - timedelta(seconds=1))

    ids = [plain.pk, reserved.pk, lapsed.pk, split.pk, empty.pk, 987654321]
    expected = {plain.pk: 10, reserved.pk: 6, lapsed.pk: 10, split.pk: 5, empty.pk: 0, 987654321: 0}
    assert variant_availability(variant_ids=ids) == expected
    assert variant_availability(variant_ids=[]) == {}


def test_variant_availability_is_one_query(db, django_assert_num_queries):
    variants = [make_product(name=f"P{n}", stock=n).variants.get().pk for n in range(5)]
    with django_assert_num_queries(1):
        assert variant_availability(variant_ids=variants) == dict(zip(variants, range(5), strict=True))
