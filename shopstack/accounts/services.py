"""Rules for customer accounts: the profile and the address book.

An address belongs to one user. Each user has at most one default shipping and one default
billing address; the first address saved becomes both, and deleting a default hands the
role to the newest remaining address.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from django.db import transaction

from shopstack.accounts.countries import is_country_code
from shopstack.accounts.models import Address, User
from shopstack.core.errors import ValidationFailed

DefaultKind = Literal["shipping", "billing"]

ADDRESS_FIELDS = (
    "full_name",
    "company",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)
ADDRESS_REQUIRED = ("full_name", "line1", "city", "postal_code", "country")
_DEFAULT_FIELD: dict[str, str] = {"shipping": "is_default_shipping", "billing": "is_default_billing"}


def address_clean(*, data: Mapping[str, object]) -> dict[str, str]:
    """Trim, check required fields, lengths and the country code. Raises ValidationFailed."""
    cleaned: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in ADDRESS_FIELDS:
        value = str(data.get(name) or "").strip()
        max_length = Address._meta.get_field(name).max_length or 0
        if name in ADDRESS_REQUIRED and not value:
            errors[name] = ["This field is required."]
        elif len(value) > max_length:
            errors[name] = [f"At most {max_length} characters."]
        cleaned[name] = value
    cleaned["country"] = cleaned["country"].upper()
    if "country" not in errors and not is_country_code(cleaned["country"]):
        errors["country"] = ["Enter a two-letter ISO country code, e.g. GB."]
    if errors:
        raise ValidationFailed("The address is not complete.", fields=errors)
    return cleaned


def address_create(*, user: User, data: Mapping[str, object]) -> Address:
    cleaned = address_clean(data=data)
    with transaction.atomic():
        # Lock the user's row so two first addresses saved at once cannot both become default.
        User.objects.select_for_update().filter(pk=user.pk).first()
        first = not Address.objects.filter(user=user).exists()
        return Address.objects.create(
            user=user, is_default_shipping=first, is_default_billing=first, **cleaned
        )


def address_update(*, address: Address, data: Mapping[str, object]) -> Address:
    cleaned = address_clean(data=data)
    for name, value in cleaned.items():
        setattr(address, name, value)
    address.save(update_fields=list(cleaned))
    return address


def address_set_default(*, address: Address, kind: DefaultKind) -> Address:
    """Make the address the user's one default of this kind."""
    if kind not in _DEFAULT_FIELD:
        raise ValidationFailed("Unknown kind of default.", fields={"kind": ["Use shipping or billing."]})
    field = _DEFAULT_FIELD[kind]
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=address.user_id).first()
        Address.objects.filter(user_id=address.user_id, **{field: True}).exclude(pk=address.pk).update(
            **{field: False}
        )
        Address.objects.filter(pk=address.pk).update(**{field: True})
    setattr(address, field, True)
    return address


def address_delete(*, address: Address) -> None:
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=address.user_id).first()
        was = {kind: getattr(address, field) for kind, field in _DEFAULT_FIELD.items()}
        user_id = address.user_id
        address.delete()
        newest = Address.objects.filter(user_id=user_id).order_by("-created_at", "-pk").first()
        if newest is not None:
            for kind, field in _DEFAULT_FIELD.items():
                if was[kind]:
                    Address.objects.filter(pk=newest.pk).update(**{field: True})


def user_update_profile(*, user: User, first_name: str, last_name: str, country: str) -> User:
    """Name and country; the email address changes through the verified email flow only."""
    values = {"first_name": first_name.strip(), "last_name": last_name.strip(), "country": country.strip()}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        max_length = User._meta.get_field(name).max_length or 0
        if len(value) > max_length:
            errors[name] = [f"At most {max_length} characters."]
    if errors:
        raise ValidationFailed("The profile could not be saved.", fields=errors)
    for name, value in values.items():
        setattr(user, name, value)
    user.save(update_fields=list(values))
    return user
