import pytest

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.inventory.models import Allocation, Reservation
from shopstack.inventory.services import stock_allocate, stock_reserve
from shopstack.testing.inventory import make_stocked_variant, stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    staff = make_user("stock-keeper@example.com", is_staff=True, is_superuser=True)
    add_totp(staff)  # staff without a second factor are sent to set one up
    client.force_login(staff)
    return client


def test_reservations_and_allocations_are_listed_read_only(admin_client):
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:admin", lines=[(variant.pk, 2)])
    stock_allocate(ref="checkout:none", order_ref="O-admin", lines=[("L1", variant.pk, 1)])
    reservation = Reservation.objects.get()
    allocation = Allocation.objects.get()

    listing = admin_client.get("/admin/inventory/reservation/")
    assert listing.status_code == 200
    assert b"checkout:admin" in listing.content
    assert b"O-admin" in admin_client.get("/admin/inventory/allocation/").content
    assert admin_client.get("/admin/inventory/reservation/add/").status_code == 403
    change = admin_client.post(
        f"/admin/inventory/reservation/{reservation.pk}/change/", {"quantity": "5", "status": "released"}
    )
    assert change.status_code == 403
    assert (
        admin_client.post(f"/admin/inventory/allocation/{allocation.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    reservation.refresh_from_db()
    assert (reservation.quantity, reservation.status) == (2, "active")
    assert Allocation.objects.filter(pk=allocation.pk).exists()


def test_stock_list_shows_reserved_and_a_count_cannot_go_below_allocated(admin_client):
    variant = make_stocked_variant(stock=5)
    stock_reserve(ref="checkout:shown", lines=[(variant.pk, 2)])
    stock_allocate(ref="checkout:none", order_ref="O-count", lines=[("L1", variant.pk, 3)])
    stock = stock_of(variant)
    assert admin_client.get("/admin/inventory/stock/").status_code == 200
    refused = admin_client.post(f"/admin/inventory/stock/{stock.pk}/change/", {"quantity": "2"})
    assert refused.status_code == 200
    assert stock_of(variant).quantity == 5
    accepted = admin_client.post(f"/admin/inventory/stock/{stock.pk}/change/", {"quantity": "4"})
    assert accepted.status_code == 302
    stock = stock_of(variant)
    assert (stock.quantity, stock.allocated, stock.reserved) == (4, 3, 0)
    assert Reservation.objects.get(ref="checkout:shown").status == "released"
