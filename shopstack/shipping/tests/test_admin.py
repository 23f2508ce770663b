import pytest

from shopstack.accounts.tests.conftest import add_totp, make_user
from shopstack.shipping.models import ShippingMethod
from shopstack.testing.shipping import install_default_zones

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    staff = make_user("shipping-clerk@example.com", is_staff=True, is_superuser=True)
    add_totp(staff)
    client.force_login(staff)
    return client


def test_zones_and_methods_with_their_rates_are_editable(admin_client):
    install_default_zones()
    zones = admin_client.get("/admin/shipping/shippingzone/")
    assert zones.status_code == 200
    assert b"Rest of world" in zones.content
    method = ShippingMethod.objects.get(code="uk-standard")
    page = admin_client.get(f"/admin/shipping/shippingmethod/{method.pk}/change/")
    assert page.status_code == 200
    assert b"12.95" in page.content  # the 5-30 kg rate, shown inline
