from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.core import mail

from shopstack.accounts.models import User

PASSWORD = "correct-horse-battery-42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def make_user(email: str = "ann@example.com", *, verified: bool = True, **extra) -> User:
    user = User.objects.create_user(email, PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def add_totp(user: User, secret: str = SECRET) -> Authenticator:
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
    )


def links_in(message: mail.EmailMessage) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


@pytest.fixture
def customer(db) -> User:
    return make_user()


@pytest.fixture
def staff(db) -> User:
    user = make_user("staff@example.com", is_staff=True, is_superuser=True)
    add_totp(user)
    return user


def sign_in(client, user: User, password: str = PASSWORD) -> None:
    """A real allauth login (force_login skips what allauth records, e.g. for reauthentication)."""
    from django.urls import reverse

    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content
