"""Rules for customer accounts: the profile and the address book.

An address belongs to one user. Each user has at most one default shipping and one default
billing address; the first address saved becomes both, and deleting a default hands the
role to the newest remaining address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
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
        # Read the flags from the database: the caller's copy may be older than the last change.
        stored = Address.objects.filter(pk=address.pk).values(*_DEFAULT_FIELD.values()).first() or {}
        was = {kind: bool(stored.get(field)) for kind, field in _DEFAULT_FIELD.items()}
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


# --- Staff two-factor authentication -------------------------------------------------------


def totp_code(*, secret: str, at: float | None = None) -> str:
    """The RFC 6238 code for a base32 secret at a time (now by default), using the same
    period and number of digits that allauth's MFA checks codes with."""
    from allauth.mfa import app_settings as mfa_settings

    counter = int(time.time() if at is None else at) // mfa_settings.TOTP_PERIOD
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    digits = mfa_settings.TOTP_DIGITS
    return str(value % 10**digits).zfill(digits)


def user_totp_secret(*, user: User) -> str | None:
    """The user's TOTP secret in the clear (allauth stores it through the MFA adapter's
    encrypt hook), or None when the user has no TOTP authenticator."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    return decrypt(authenticator.data["secret"])


def staff_ensure(*, email: str, password: str, totp_secret: str) -> User:
    """Create or update a superuser that can sign in to the back office at once: verified
    primary email address, the given password and a TOTP authenticator with the given secret
    (plus recovery codes). Running it again changes nothing else."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.utils import encrypt

    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first() or User(email=email)
        user.is_staff = True
        user.is_superuser = True
        user.is_active = True
        if not user.password or not user.check_password(password):
            user.set_password(password)
        user.save()
        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).update(primary=False)
        address, _ = EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        if not (address.verified and address.primary):
            address.verified = address.primary = True
            address.save(update_fields=["verified", "primary"])
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            Authenticator.objects.create(
                user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(totp_secret)}
            )
        elif user_totp_secret(user=user) != totp_secret:
            totp.data = {"secret": encrypt(totp_secret)}
            totp.save(update_fields=["data"])
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
            RecoveryCodes.activate(user)
    return user
