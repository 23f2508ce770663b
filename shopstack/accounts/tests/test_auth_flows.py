"""Sign-up, verification, login, logout, password reset, email change, rate limits, headless.

No page or email differs in a way that tells a visitor whether an address has an account.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from shopstack.accounts.models import User
from shopstack.accounts.tests.conftest import PASSWORD, links_in, make_user

pytestmark = pytest.mark.django_db


def signup(client, email: str):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def login(client, email: str, password: str = PASSWORD, **query):
    url = reverse("account_login")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"login": email, "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_signup_sends_verification_and_login_waits_for_it(client):
    response = signup(client, "new@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not is_logged_in(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new@example.com"]
    confirm_link = next(link for link in links_in(mail.outbox[0]) if "/confirm-email/" in link)

    response = login(client, "new@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not is_logged_in(client)

    path = confirm_link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302
    assert User.objects.get(email="new@example.com").emailaddress_set.get().verified
    client.logout()
    response = login(client, "new@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile")
    assert is_logged_in(client)


def test_signup_with_an_existing_email_looks_the_same(client, customer):
    fresh = signup(client, "fresh@example.com")
    fresh_page = client.get(fresh["Location"]).content
    mail.outbox.clear()
    client.logout()
    existing = signup(client, customer.email)
    existing_page = client.get(existing["Location"]).content
    assert (existing.status_code, existing["Location"]) == (fresh.status_code, fresh["Location"])
    assert User.objects.filter(email=customer.email).count() == 1
    # The owner of the address is told someone tried; the visitor's page says nothing.
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert not any("/confirm-email/" in link for link in links_in(mail.outbox[0]))
    # Both pages echo the address the visitor typed, and nothing else differs.
    assert existing_page.replace(customer.email.encode(), b"@") == fresh_page.replace(
        b"fresh@example.com", b"@"
    )


def test_login_and_logout(client, customer):
    assert login(client, customer.email).status_code == 302
    assert is_logged_in(client)
    assert client.get(reverse("accounts:profile")).status_code == 200
    # Logout is POST-only in effect: GET shows a confirmation page.
    assert client.get(reverse("account_logout")).status_code == 200
    assert is_logged_in(client)
    client.post(reverse("account_logout"))
    assert not is_logged_in(client)


def test_wrong_password_and_unknown_email_get_the_same_answer(client, customer):
    wrong = login(client, customer.email, "not-the-password")
    unknown = login(client, "nobody@example.com", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].errors == unknown.context["form"].errors


def test_password_reset_for_an_unknown_email_is_indistinguishable(client, customer):
    known = client.post(reverse("account_reset_password"), {"email": customer.email})
    known_page = client.get(known["Location"]).content
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    unknown_page = client.get(unknown["Location"]).content
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known_page == unknown_page
    # One email each: a reset link to the owner, a "no account here" note to the other address.
    assert [m.to for m in mail.outbox] == [[customer.email], ["nobody@example.com"]]
    assert any("/password/reset/key/" in link for link in links_in(mail.outbox[0]))
    assert not any("/password/reset/key/" in link for link in links_in(mail.outbox[1]))


def test_password_reset_link_sets_a_new_password(client, customer):
    client.post(reverse("account_reset_password"), {"email": customer.email})
    link = next(link for link in links_in(mail.outbox[0]) if "/password/reset/key/" in link)
    response = client.get(link.removeprefix("http://testserver"), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link
    new = "another-long-passphrase-7"
    response = client.post(form_url, {"password1": new, "password2": new})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(new)


def test_failed_logins_are_rate_limited(client, customer, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/key"}
    for _ in range(3):
        response = login(client, customer.email, "wrong-password")
        assert "Too many" not in response.content.decode()
    response = login(client, customer.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert not is_logged_in(client)


def test_email_change_needs_the_new_address_verified(client, customer):
    client.force_login(customer)
    response = client.post(reverse("account_email"), {"email": "ann.new@example.com", "action_add": ""})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.email == "ann@example.com"
    assert mail.outbox[-1].to == ["ann.new@example.com"]
    link = next(link for link in links_in(mail.outbox[-1]) if "/confirm-email/" in link)
    client.post(link.removeprefix("http://testserver"))
    customer.refresh_from_db()
    assert customer.email == "ann.new@example.com"
    assert list(customer.emailaddress_set.values_list("email", "verified", "primary")) == [
        ("ann.new@example.com", True, True)
    ]


def test_headless_app_login_returns_a_session_token(client, customer):
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": customer.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["meta"]["is_authenticated"] is True
    assert body["meta"]["session_token"]
    token = body["meta"]["session_token"]
    session = client.get("/_allauth/app/v1/auth/session", headers={"X-Session-Token": token})
    assert session.status_code == 200
    assert session.json()["data"]["user"]["email"] == customer.email


def test_headless_login_with_an_unverified_email_gives_no_token(client):
    make_user("pending@example.com", verified=False)
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": "pending@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert "session_token" not in response.json().get("meta", {}) or not response.json()["meta"].get(
        "is_authenticated"
    )
