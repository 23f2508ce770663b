"""Rules for accounts: the profile, the address book and staff two-factor enrolment.

An address belongs to one user. Each user has at most one default shipping and one default
billing address; the first address saved becomes both, and deleting a default hands the
role to the newest remaining address.

A staff member without two-factor authentication enrols through a link emailed to them
(see staff_enrolment_issue): a stolen password alone cannot add an attacker's authenticator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from django.core import signing
from django.db import transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from shopstack.accounts.countries import is_country_code
from shopstack.accounts.models import Address, StaffEnrolment, User
from shopstack.core.errors import PermissionDenied, ValidationFailed
from shopstack.core.events import event_record

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


STAFF_ENROLMENT_LINK_LIFETIME = timedelta(minutes=30)
# Once a link is opened, its session has this long to finish setting up the authenticator.
STAFF_ENROLMENT_SESSION_LIFETIME = timedelta(minutes=30)
# At most one email per this interval, however often the request page is submitted.
STAFF_ENROLMENT_RESEND_AFTER = timedelta(minutes=1)
_ENROLMENT_SALT = "shopstack.accounts.staff-enrolment"
# Recorded with each new link; its handler emails the link from a worker (accounts/tasks.py).
STAFF_ENROLMENT_ISSUED_EVENT = "StaffEnrolmentIssued"


def _credential_fingerprint(user: User) -> str:
    # Changes with the password (or the address the link went to): older links die with it.
    return salted_hmac(
        _ENROLMENT_SALT, f"{user.pk}|{user.password}|{user.email}", algorithm="sha256"
    ).hexdigest()[:32]


def staff_enrolment_token(*, enrolment: StaffEnrolment) -> str:
    """The secret part of an enrolment link. Deterministic, so the email task can rebuild it
    from the row's id and the token itself is never stored (nor queued)."""
    payload = {"id": enrolment.pk, "key": _credential_fingerprint(enrolment.user)}
    return signing.Signer(salt=_ENROLMENT_SALT).sign_object(payload)


def staff_needs_enrolment(*, user: object) -> bool:
    """A signed-in staff member who has no TOTP authenticator yet."""
    from allauth.mfa.models import Authenticator

    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False)):
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_enrolment_issue(*, user: User, now: datetime) -> StaffEnrolment | None:
    """A new enrolment link for a staff member without TOTP, or None when one was issued
    less than STAFF_ENROLMENT_RESEND_AFTER ago (the caller sends nothing then)."""
    if not staff_needs_enrolment(user=user):
        raise PermissionDenied("Only a staff account without two-factor authentication can enrol.")
    with transaction.atomic():
        # Serialises concurrent requests of one user, so two tabs do not send two emails.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if StaffEnrolment.objects.filter(
            user=user, created_at__gt=now - STAFF_ENROLMENT_RESEND_AFTER
        ).exists():
            return None
        enrolment = StaffEnrolment.objects.create(
            user=user, created_at=now, expires_at=now + STAFF_ENROLMENT_LINK_LIFETIME
        )
        event_record(
            name=STAFF_ENROLMENT_ISSUED_EVENT,
            aggregate_type="accounts.User",
            aggregate_id=user.pk,
            payload={"enrolment_id": enrolment.pk},
        )
    return enrolment


def staff_enrolment_redeem(*, user: User, token: str, now: datetime) -> StaffEnrolment:
    """Spend an enrolment link opened by `user`. Raises PermissionDenied when the link is
    not genuine, belongs to someone else, predates a password change, has expired or was
    used already; a link is spent at most once, whichever process answers."""
    refused = "This link cannot be used. Ask for a new one."
    try:
        payload = signing.Signer(salt=_ENROLMENT_SALT).unsign_object(token)
        enrolment_id = int(payload["id"])
        key = str(payload["key"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise PermissionDenied(refused, code="enrolment_link_invalid") from None
    enrolment = StaffEnrolment.objects.filter(pk=enrolment_id, user=user).first()
    if enrolment is None or not constant_time_compare(key, _credential_fingerprint(user)):
        raise PermissionDenied(refused, code="enrolment_link_invalid")
    if enrolment.expires_at <= now:
        raise PermissionDenied("This link has expired. Ask for a new one.", code="enrolment_link_expired")
    claimed = StaffEnrolment.objects.filter(pk=enrolment.pk, used_at__isnull=True).update(used_at=now)
    if claimed != 1:
        raise PermissionDenied("This link was used already. Ask for a new one.", code="enrolment_link_used")
    enrolment.used_at = now
    return enrolment
