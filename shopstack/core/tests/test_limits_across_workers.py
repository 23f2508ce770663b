"""Limits and one-time codes hold across web workers: the real server, two workers, and
each test's requests sent alternately through a connection to each worker.

With a cache private to each process (as before the shared stores), every worker kept
its own counts: 9 passwords were tried within a limit of 5, 20 order lookups within 10,
and one TOTP code signed in twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from shopstack.testing.live_shop import LiveShop, WorkerConnection, live_shop, worker_connections

PASSWORD = "correct horse battery staple"
APP = "/_allauth/app/v1"
SEED = f"""
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from shopstack.accounts.models import User

for email in ("ann@example.com", "bob@example.com"):
    user = User.objects.create_user(email=email, password={PASSWORD!r})
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
secret = generate_totp_secret()
TOTP.activate(User.objects.get(email="bob@example.com"), secret)
print(secret)
"""
API_RATE = 5
LOOKUP_WINDOW_SECONDS = 15 * 60  # orders.views counts order lookups per quarter hour


@pytest.fixture(scope="module")
def shop() -> Iterator[LiveShop]:
    # An hourly API allowance, so the test's requests never straddle a window boundary
    # unless they run across the top of an hour (the test waits that out). Every request
    # comes from 127.0.0.1: the per-address sign-in limit is raised out of the way of the
    # per-account one under test.
    limits = {"API_THROTTLE_ANON": f"{API_RATE}/h", "LOGIN_RATE_LIMIT": "1000/m/ip,5/5m/key"}
    with live_shop(workers=2, settings=limits) as running:
        running.secret = running.manage("shell", "-c", SEED).strip().splitlines()[-1]  # type: ignore[attr-defined]
        yield running


@pytest.fixture
def pair(shop: LiveShop) -> list[WorkerConnection]:
    return worker_connections(shop, wanted=2)


def alternate(pair: list[WorkerConnection], times: int) -> Iterator[WorkerConnection]:
    for number in range(times):
        yield pair[number % 2]


def test_failed_sign_ins_are_limited_per_account_across_workers(pair):
    # ACCOUNT_RATE_LIMITS: "5/5m/key" for failed logins of one address. allauth answers a
    # limited attempt as a failed form (400) with its own error code.
    def sign_in(connection: WorkerConnection, password: str) -> str:
        reply = connection.post_json(f"{APP}/auth/login", {"email": "ann@example.com", "password": password})
        assert reply.status == 400, reply.body
        return str(reply.json()["errors"][0]["code"])

    codes = [sign_in(connection, f"wrong {n}") for n, connection in enumerate(alternate(pair, 9))]
    assert codes == ["email_password_mismatch"] * 5 + ["too_many_login_attempts"] * 4
    # The limit is the account's: the right password is refused too, on either worker.
    assert sign_in(pair[0], PASSWORD) == "too_many_login_attempts"


def test_order_lookups_are_limited_per_client_across_workers(shop):
    wait_clear_of_window_end(LOOKUP_WINDOW_SECONDS, margin=120)
    # Connected after the wait: the server closes keep-alive connections left idle that long.
    pair = worker_connections(shop, wanted=2)
    page = pair[0].request("GET", "/orders/lookup/")
    assert page.status == 200
    token = page.body.decode().split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    for connection in pair:
        connection.cookies["csrftoken"] = pair[0].cookies["csrftoken"]
    form = urlencode({"csrfmiddlewaretoken": token, "number": "SS-NOPE", "email": "x@example.com"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Referer": "http://127.0.0.1/"}
    statuses = [
        connection.request("POST", "/orders/lookup/", form, headers).status
        for connection in alternate(pair, 14)
    ]
    assert statuses == [404] * 10 + [429] * 4


def test_api_throttle_counts_once_for_all_workers(shop):
    wait_clear_of_window_end(3600, margin=120)
    pair = worker_connections(shop, wanted=2)
    statuses = [connection.request("GET", "/api/v1/categories").status for connection in alternate(pair, 8)]
    assert statuses == [200] * API_RATE + [429] * (8 - API_RATE)


def test_a_totp_code_signs_in_once_across_workers(shop, pair):
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    # A code with at least 20 s of its 30 s period left, so both uses see the same period
    # even when a busy machine answers the four requests slowly.
    wait_clear_of_window_end(30, margin=20)
    code = format_hotp_value(hotp_value(shop.secret, int(time.time() // 30)))

    def sign_in(connection: WorkerConnection) -> int:
        started = connection.post_json(
            f"{APP}/auth/login", {"email": "bob@example.com", "password": PASSWORD}
        )
        assert started.status == 401, started.body  # the second factor is pending
        session = started.json()["meta"]["session_token"]
        return connection.post_json(
            f"{APP}/auth/2fa/authenticate", {"code": code}, {"X-Session-Token": session}
        ).status

    assert sign_in(pair[0]) == 200
    assert sign_in(pair[1]) == 400


def wait_clear_of_window_end(seconds: float, *, margin: float) -> None:
    """Wait until at least `margin` seconds are left of the current fixed `seconds`-long
    window (rate limits and TOTP codes count in such windows of the wall clock)."""
    while seconds - time.time() % seconds < margin:
        time.sleep(0.5)
