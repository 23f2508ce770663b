from decimal import Decimal

import pytest

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.pricing.models import TaxClass, Voucher, VoucherRedemption
from shopstack.pricing.services import voucher_redeem
from shopstack.testing.pricing import make_voucher

pytestmark = pytest.mark.usefixtures("tax_seed")


@pytest.fixture
def admin_client(client):
    staff = make_user("pricing-admin@example.com", is_staff=True, is_superuser=True)
    add_totp(staff)  # staff without a second factor are sent to set one up
    client.force_login(staff)
    return client


def test_pages_open(admin_client):
    standard = TaxClass.objects.get(slug="standard")
    for url in [
        "/admin/pricing/taxclass/",
        f"/admin/pricing/taxclass/{standard.pk}/change/",
        "/admin/pricing/taxrate/?country=GB",
        "/admin/pricing/pricingsettings/",
        "/admin/pricing/producttaxclass/add/",
        "/admin/pricing/voucher/?is_active__exact=1&kind__exact=percentage&q=SALE",
        "/admin/pricing/voucher/add/",
        "/admin/pricing/voucherredemption/",
    ]:
        assert admin_client.get(url).status_code == 200, url
    assert b"25.50" in admin_client.get(f"/admin/pricing/taxclass/{standard.pk}/change/").content


def test_a_voucher_typed_in_lower_case_is_saved_upper_case(admin_client):
    response = admin_client.post(
        "/admin/pricing/voucher/add/",
        {"code": "spring5", "name": "Spring", "kind": "fixed_amount", "value": "5.00", "is_active": "on"},
    )
    assert response.status_code == 302
    assert Voucher.objects.get().code == "SPRING5"


def test_a_bad_voucher_is_refused_with_a_field_message_and_not_saved(admin_client):
    response = admin_client.post(
        "/admin/pricing/voucher/add/", {"code": "HALF", "name": "Half", "kind": "percentage", "value": "150"}
    )
    assert response.status_code == 200
    assert "A percentage must be more than 0 and at most 100." in response.content.decode()
    assert not Voucher.objects.exists()


def test_redemptions_are_read_only_and_used_vouchers_cannot_be_deleted(admin_client):
    voucher = make_voucher(code="SHOWN", usage_limit=3)
    redemption = voucher_redeem(code="SHOWN", order_ref="SO-77", customer_key="user:1", subtotal=Decimal(5))
    listing = admin_client.get("/admin/pricing/voucher/")
    assert b"SHOWN" in listing.content
    assert b"SO-77" in admin_client.get("/admin/pricing/voucherredemption/").content
    assert admin_client.get("/admin/pricing/voucherredemption/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/pricing/voucherredemption/{redemption.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert (
        admin_client.post(f"/admin/pricing/voucher/{voucher.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    assert VoucherRedemption.objects.filter(pk=redemption.pk).exists()
