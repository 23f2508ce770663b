"""The customer's profile and address book: owner-only, validated, POST-only changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shopstack.accounts import services
from shopstack.accounts.models import Address
from shopstack.accounts.tests.conftest import make_user
from shopstack.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db

VALID = {
    "full_name": "Ann Example",
    "company": "",
    "line1": "1 High Street",
    "line2": "",
    "city": "York",
    "region": "",
    "postal_code": "YO1 7HH",
    "country": "gb",
    "phone": "",
}


def test_pages_need_login(client):
    for name in ("accounts:profile", "accounts:address_list", "accounts:address_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_profile_shows_email_and_saves_name_and_country(client, customer):
    client.force_login(customer)
    page = client.get(reverse("accounts:profile"))
    assert customer.email in page.content.decode()
    response = client.post(
        reverse("accounts:profile"),
        {"first_name": "Ann", "last_name": "Example", "country": "United Kingdom"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name, customer.country) == ("Ann", "Example", "United Kingdom")


def test_profile_cannot_change_the_email(client, customer):
    client.force_login(customer)
    client.post(reverse("accounts:profile"), {"first_name": "A", "last_name": "B", "email": "x@example.com"})
    customer.refresh_from_db()
    assert customer.email == "ann@example.com"


def test_add_edit_and_delete_an_address(client, customer):
    client.force_login(customer)
    assert client.get(reverse("accounts:address_create")).status_code == 200
    response = client.post(reverse("accounts:address_create"), VALID)
    assert response.status_code == 302
    address = Address.objects.get(user=customer)
    assert address.country == "GB"
    # The first address is the default for both kinds.
    assert address.is_default_shipping
    assert address.is_default_billing
    assert "1 High Street" in client.get(reverse("accounts:address_list")).content.decode()

    response = client.post(reverse("accounts:address_edit", args=[address.pk]), {**VALID, "city": "Leeds"})
    assert response.status_code == 302
    address.refresh_from_db()
    assert address.city == "Leeds"

    assert client.get(reverse("accounts:address_delete", args=[address.pk])).status_code == 405
    response = client.post(reverse("accounts:address_delete", args=[address.pk]))
    assert response.status_code == 302
    assert not Address.objects.filter(pk=address.pk).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", ""),
        ("line1", "   "),
        ("postal_code", ""),
        ("country", "XX"),
        ("country", "GBR"),
        ("city", ""),
    ],
)
def test_invalid_addresses_are_refused_and_change_nothing(client, customer, field, value):
    client.force_login(customer)
    response = client.post(reverse("accounts:address_create"), {**VALID, field: value})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Address.objects.exists()

    address = services.address_create(user=customer, data=VALID)
    response = client.post(reverse("accounts:address_edit", args=[address.pk]), {**VALID, field: value})
    assert response.status_code == 400
    address.refresh_from_db()
    assert getattr(address, field) == services.address_clean(data=VALID)[field]


def test_service_validates_on_its_own(customer):
    with pytest.raises(ValidationFailed) as excinfo:
        services.address_create(user=customer, data={**VALID, "country": "ZZ", "city": ""})
    assert set(excinfo.value.fields) == {"country", "city"}


def test_one_default_per_kind(client, customer):
    first = services.address_create(user=customer, data=VALID)
    second = services.address_create(user=customer, data={**VALID, "line1": "2 Low Street"})
    assert not second.is_default_shipping
    client.force_login(customer)
    response = client.post(reverse("accounts:address_set_default", args=[second.pk, "shipping"]))
    assert response.status_code == 302
    defaults = dict(Address.objects.filter(user=customer).values_list("pk", "is_default_shipping"))
    assert defaults == {first.pk: False, second.pk: True}
    billing = dict(Address.objects.filter(user=customer).values_list("pk", "is_default_billing"))
    assert billing == {first.pk: True, second.pk: False}
    assert client.post(reverse("accounts:address_set_default", args=[second.pk, "gift"])).status_code == 404
    assert client.get(reverse("accounts:address_set_default", args=[second.pk, "billing"])).status_code == 405

    # Deleting the default shipping address hands the role to the remaining one.
    services.address_delete(address=second)
    first.refresh_from_db()
    assert first.is_default_shipping
    assert first.is_default_billing


def test_another_customers_address_is_not_found(client, customer):
    other = make_user("bob@example.com")
    theirs = services.address_create(user=other, data=VALID)
    client.force_login(customer)
    assert client.get(reverse("accounts:address_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("accounts:address_edit", args=[theirs.pk]), VALID).status_code == 404
    assert client.post(reverse("accounts:address_delete", args=[theirs.pk])).status_code == 404
    assert (
        client.post(reverse("accounts:address_set_default", args=[theirs.pk, "billing"])).status_code == 404
    )
    assert Address.objects.filter(pk=theirs.pk, user=other).exists()
    assert "High Street" not in client.get(reverse("accounts:address_list")).content.decode()


def test_forms_need_a_csrf_token(customer):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(customer)
    assert client.post(reverse("accounts:address_create"), VALID).status_code == 403
    assert client.post(reverse("accounts:profile"), {"first_name": "X"}).status_code == 403
    assert not Address.objects.exists()
