"""A staff account without two-factor cannot enrol with its password alone: the TOTP setup
opens only in the session that opened a single-use link emailed to the account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shopstack.accounts.models import StaffEnrolment
from shopstack.accounts.services import (
    STAFF_ENROLMENT_LINK_LIFETIME,
    staff_enrolment_issue,
    staff_enrolment_redeem,
    staff_enrolment_token,
)
from shopstack.accounts.tests.conftest import PASSWORD, make_user, sign_in
from shopstack.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db

ACTIVATE = "/accounts/2fa/totp/activate/"
ENROL = "/account/staff/two-factor/"


@pytest.fixture
def newstaff():
    return make_user("newstaff@example.com", is_staff=True, is_superuser=True)


def request_link(client: Client, capture) -> str:
    """Press "Email me the link"; the path of the link in the email that arrives."""
    before = len(mail.outbox)
    with capture(execute=True):
        response = client.post(ENROL)
    assert response.status_code == 302
    assert len(mail.outbox) == before + 1
    [link] = re.findall(r"https?://\S+", mail.outbox[-1].body)
    return re.sub(r"^https?://[^/]+", "", link)


def activate_totp(client: Client) -> bool:
    from shopstack.accounts.services import totp_code

    # allauth asks for the password again before a security change.
    assert client.get(ACTIVATE)["Location"].startswith(reverse("account_reauthenticate"))
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(ACTIVATE).status_code == 200
    response = client.post(ACTIVATE, {"code": totp_code(secret=client.session["mfa.totp.secret"])})
    return response.status_code == 302 and Authenticator.objects.filter(type=Authenticator.Type.TOTP).exists()


def test_password_alone_cannot_reach_the_totp_setup_or_the_admin(client, newstaff):
    sign_in(client, newstaff)
    for path in ("/admin/", "/admin/catalog/product/", "/admin/login/", ACTIVATE):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("accounts:staff_enrolment"), path
    # Not after giving the password again either, nor by posting a code straight away.
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(ACTIVATE)["Location"] == reverse("accounts:staff_enrolment")
    assert client.post(ACTIVATE, {"code": "123456"})["Location"] == reverse("accounts:staff_enrolment")
    # allauth's headless API, in the browser session and with an app session token.
    browser_api = client.post(
        "/_allauth/browser/v1/account/authenticators/totp",
        {"code": "123456"},
        content_type="application/json",
    )
    assert browser_api.status_code == 403
    assert browser_api.json()["errors"][0]["code"] == "staff_enrolment_link_required"
    app = Client()
    login = app.post(
        "/_allauth/app/v1/auth/login",
        {"email": newstaff.email, "password": PASSWORD},
        content_type="application/json",
    )
    token = login.json()["meta"]["session_token"]
    app_api = app.post(
        "/_allauth/app/v1/account/authenticators/totp",
        {"code": "123456"},
        content_type="application/json",
        headers={"X-Session-Token": token},
    )
    assert app_api.status_code == 403
    assert not Authenticator.objects.filter(user=newstaff).exists()


def test_the_emailed_link_opens_the_setup_once_in_its_own_session(
    client, newstaff, django_capture_on_commit_callbacks
):
    sign_in(client, newstaff)
    page = client.get(ENROL)
    assert page.status_code == 200
    link = request_link(client, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == [newstaff.email]

    # Someone else signed in with the same password (another session) gets nowhere.
    thief = Client()
    sign_in(thief, newstaff)
    assert thief.get(ACTIVATE)["Location"] == reverse("accounts:staff_enrolment")

    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == ACTIVATE
    assert client.get("/admin/")["Location"] == ACTIVATE  # not enrolled yet
    assert thief.get(ACTIVATE)["Location"] == reverse("accounts:staff_enrolment")
    assert activate_totp(client)
    assert client.get("/admin/").status_code == 200

    # Spent: opening it again (in the thief's session, too) is refused with a reason.
    Authenticator.objects.filter(user=newstaff).delete()
    again = thief.get(link)
    assert again.status_code == 403
    assert "used already" in again.content.decode()
    assert thief.get(ACTIVATE)["Location"] == reverse("accounts:staff_enrolment")


def test_a_signed_out_visitor_is_sent_to_sign_in_and_the_link_stays_unspent(
    client, newstaff, django_capture_on_commit_callbacks
):
    sign_in(client, newstaff)
    link = request_link(client, django_capture_on_commit_callbacks)
    scanner = Client()
    response = scanner.get(link)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert StaffEnrolment.objects.get().used_at is None
    assert client.get(link)["Location"] == ACTIVATE


def test_expired_tampered_and_foreign_links_are_refused(newstaff):
    now = timezone.now()
    enrolment = staff_enrolment_issue(user=newstaff, now=now)
    token = staff_enrolment_token(enrolment=enrolment)
    later = now + STAFF_ENROLMENT_LINK_LIFETIME + timedelta(seconds=1)
    with pytest.raises(PermissionDenied, match="expired"):
        staff_enrolment_redeem(user=newstaff, token=token, now=later)
    with pytest.raises(PermissionDenied, match="cannot be used"):
        staff_enrolment_redeem(user=newstaff, token=token[:-2] + "xx", now=now)
    other = make_user("other@example.com", is_staff=True)
    with pytest.raises(PermissionDenied, match="cannot be used"):
        staff_enrolment_redeem(user=other, token=token, now=now)
    assert StaffEnrolment.objects.get().used_at is None
    staff_enrolment_redeem(user=newstaff, token=token, now=now)
    with pytest.raises(PermissionDenied, match="used already"):
        staff_enrolment_redeem(user=newstaff, token=token, now=now)


def test_a_password_change_kills_the_links_issued_before_it(newstaff):
    now = timezone.now()
    token = staff_enrolment_token(enrolment=staff_enrolment_issue(user=newstaff, now=now))
    newstaff.set_password("another-long-password-9")
    newstaff.save()
    with pytest.raises(PermissionDenied, match="cannot be used"):
        staff_enrolment_redeem(user=newstaff, token=token, now=now)


def test_a_second_request_within_the_minute_sends_nothing(
    client, newstaff, django_capture_on_commit_callbacks
):
    sign_in(client, newstaff)
    request_link(client, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(ENROL)
    assert len(mail.outbox) == 1
    assert StaffEnrolment.objects.count() == 1
    later = timezone.now() + timedelta(minutes=2)
    assert staff_enrolment_issue(user=newstaff, now=later) is not None


def test_customers_and_enrolled_staff_cannot_ask_for_links(client, customer, staff):
    sign_in(client, customer)
    assert client.post(ENROL)["Location"] == reverse("accounts:profile")
    with pytest.raises(PermissionDenied):
        staff_enrolment_issue(user=staff, now=timezone.now())
    assert not StaffEnrolment.objects.exists()
    # A customer still sets up TOTP with their password (their own choice, not a staff door).
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert client.get(ACTIVATE).status_code == 200
