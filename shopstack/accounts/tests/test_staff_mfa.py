"""Staff reach the back office only with TOTP; the admin login is allauth's."""

from __future__ import annotations

import io
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management import call_command
from django.urls import reverse

from shopstack.accounts.management.commands.demo_staff import DEMO_EMAIL, DEMO_PASSWORD, DEMO_TOTP_SECRET
from shopstack.accounts.models import User
from shopstack.accounts.services import totp_code, user_totp_secret
from shopstack.accounts.tests.conftest import PASSWORD, SECRET, make_user, sign_in

pytestmark = pytest.mark.django_db


def test_totp_code_matches_allauth():
    now = time.time()
    assert totp_code(secret=SECRET, at=now) == format_hotp_value(hotp_value(SECRET, int(now) // 30))
    # RFC 6238 appendix B, SHA-1 key "12345678901234567890" at T=59 -> 94287082 (8 digits): last 6.
    assert totp_code(secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", at=59) == "287082"


def test_staff_without_totp_is_sent_to_ask_for_an_enrolment_link(client):
    user = make_user("newstaff@example.com", is_staff=True, is_superuser=True)
    sign_in(client, user)
    for path in ("/admin/", "/admin/catalog/product/", "/admin/login/", reverse("mfa_activate_totp")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("accounts:staff_enrolment")
    # The rest of the enrolment (the emailed link) is in test_staff_enrolment.py.


def test_customer_is_refused_by_the_admin(client, customer):
    client.force_login(customer)
    assert client.get("/admin/").status_code in (302, 403)
    assert client.get("/admin/login/").status_code == 403


def test_admin_login_goes_through_allauth_and_asks_for_the_code(client, staff):
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    response = client.post(response["Location"], {"login": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_authenticate"))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret=SECRET)})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_totp_activation_and_deactivation_pages(client, customer):
    sign_in(client, customer)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret=secret)})
    assert response.status_code == 302
    assert user_totp_secret(user=customer) == secret
    # Activating TOTP also creates recovery codes.
    assert Authenticator.objects.filter(user=customer, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert user_totp_secret(user=customer) is None


def test_demo_staff_is_idempotent_and_demo_totp_prints_a_valid_code(client):
    out = io.StringIO()
    call_command("demo_staff", stdout=out)
    call_command("demo_staff", stdout=io.StringIO())
    text = out.getvalue()
    for expected in (
        "http://127.0.0.1:8000/admin/",
        DEMO_EMAIL,
        DEMO_PASSWORD,
        DEMO_TOTP_SECRET,
        "demo_totp",
    ):
        assert expected in text
    user = User.objects.get(email=DEMO_EMAIL)
    assert user.is_staff
    assert user.is_superuser
    assert user.check_password(DEMO_PASSWORD)
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).count() == 1
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count() == 1
    assert user_totp_secret(user=user) == DEMO_TOTP_SECRET

    code = io.StringIO()
    call_command("demo_totp", stdout=code, stderr=io.StringIO())
    client.post(reverse("account_login"), {"login": DEMO_EMAIL, "password": DEMO_PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": code.getvalue().strip()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_demo_staff_refuses_the_prod_profile(settings):
    from django.core.management.base import CommandError

    settings.PROFILE = "prod"
    with pytest.raises(CommandError):
        call_command("demo_staff", stdout=io.StringIO())


def test_production_hashes_passwords_with_argon2():
    from config.settings.base import PASSWORD_HASHERS

    assert PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_totp_secret_is_encrypted_at_rest_and_survives_a_key_rotation(settings):
    call_command("demo_staff", stdout=io.StringIO())
    user = User.objects.get(email=DEMO_EMAIL)
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"]
    assert DEMO_TOTP_SECRET not in stored
    assert user_totp_secret(user=user) == DEMO_TOTP_SECRET

    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]
    assert user_totp_secret(user=user) == DEMO_TOTP_SECRET
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError, match="SECRET_KEY"):
        user_totp_secret(user=user)
