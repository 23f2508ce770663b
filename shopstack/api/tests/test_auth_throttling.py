import math

import pytest

from shopstack.api.tests.conftest import PASSWORD, error_of
from shopstack.api.throttling import ClientAnonThrottle, ClientAuthThrottle

ME = "/api/v1/me"

# 30 s into a whole hour: inside one window of every duration these tests use.
HOUR_START = 1_800_000_000 - 1_800_000_000 % 3600


class StoppedClock:
    """The throttle's clock, held still so that a test's requests cannot straddle a
    window boundary (a fixed-window counter starts afresh there: with a real clock a
    "1/s" test lets its second request through whenever the second ticks over)."""

    def __init__(self) -> None:
        self.now = HOUR_START + 30.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch) -> StoppedClock:
    stopped = StoppedClock()
    for throttle in (ClientAnonThrottle, ClientAuthThrottle):
        monkeypatch.setattr(throttle, "timer", staticmethod(stopped))
    return stopped


def session_token(client, user) -> str:
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]["session_token"]


def test_me_is_401_when_anonymous(client, db):
    response = client.get(ME)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_me_with_a_bad_session_token_is_401(client, db):
    response = client.get(ME, headers={"X-Session-Token": "not-a-session"})
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"


def test_me_with_a_headless_session_token(client, user):
    token = session_token(client, user)
    app = type(client)()  # no cookies: only the token identifies the app
    response = app.get(ME, headers={"X-Session-Token": token})
    assert response.status_code == 200
    assert response.json() == {"id": user.pk, "email": "ann@example.com"}


def test_me_with_the_django_session(client, user):
    client.force_login(user)
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_signed_in_catalog_answers_are_private(client, user, catalog):
    client.force_login(user)
    assert client.get("/api/v1/products")["Cache-Control"] == "private, max-age=60"


def test_anonymous_clients_are_throttled_with_retry_after(client, catalog, settings):
    settings.API_THROTTLE_ANON = "3/m"
    for _ in range(3):
        assert client.get("/api/v1/products").status_code == 200
    response = client.get(f"/api/v1/products/{catalog['teapot'].pk}")
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another address has its own allowance.
    assert client.get("/api/v1/products", REMOTE_ADDR="10.0.0.9").status_code == 200


def test_signed_in_clients_have_their_own_rate(client, user, catalog, settings):
    settings.API_THROTTLE_ANON = "2/m"
    settings.API_THROTTLE_AUTH = "4/m"
    token = session_token(client, user)
    app = type(client)()
    for _ in range(4):
        assert app.get("/api/v1/products", headers={"X-Session-Token": token}).status_code == 200
    response = app.get(ME, headers={"X-Session-Token": token})
    assert response.status_code == 429
    assert error_of(response)["code"] == "throttled"
    assert math.isfinite(float(response["Retry-After"]))


@pytest.mark.parametrize("rate", ["1/s", "2/m", "5/h"])
def test_rates_from_settings_are_honoured(client, catalog, settings, rate):
    settings.API_THROTTLE_ANON = rate
    allowed = int(rate.split("/")[0])
    statuses = [client.get("/api/v1/categories").status_code for _ in range(allowed + 1)]
    assert statuses == [200] * allowed + [429]


@pytest.mark.parametrize(("rate", "window"), [("1/s", 1), ("2/m", 60)])
def test_the_next_window_starts_a_fresh_allowance(client, catalog, settings, clock, rate, window):
    settings.API_THROTTLE_ANON = rate
    allowed = int(rate.split("/")[0])
    for _ in range(allowed):
        assert client.get("/api/v1/categories").status_code == 200
    response = client.get("/api/v1/categories")
    assert response.status_code == 429
    clock.now += window
    assert client.get("/api/v1/categories").status_code == 200
