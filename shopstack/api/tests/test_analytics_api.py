"""/api/v1/analytics: who may ask (401, 403, 200 by session token and by the admin's
session), answers kept private, and bad parameters refused by name before anything runs.
The numbers themselves: test_analytics_reports_api.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client

from shopstack.analytics.reports import dashboards
from shopstack.analytics.reports.cache import warehouse_stamp
from shopstack.api.tests.analytics_shop import WEEK, make_user, session_token, write_shop
from shopstack.api.tests.conftest import error_of

REPORTS = ("overview", "funnel", "products", "search", "campaigns", "customers", "fulfilment", "inventory")
URLS = [f"/api/v1/analytics/{name}" for name in REPORTS]
OVERVIEW = "/api/v1/analytics/overview"
PRODUCTS = "/api/v1/analytics/products"


@pytest.fixture
def warehouse(settings, tmp_path: Path) -> Path:
    settings.ANALYTICS_WAREHOUSE_ROOT = str(tmp_path)
    settings.TIME_ZONE = "UTC"
    write_shop(tmp_path)
    return tmp_path


@pytest.fixture
def analyst(db):
    """Staff with the permission and TOTP."""
    return make_user("analyst@example.com", staff=True, grant=True)


def token_client(token: str) -> Client:
    return Client(headers={"X-Session-Token": token})


# Who may ask ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", URLS)
def test_every_report_is_401_without_a_user(client, db, url):
    response = client.get(url)
    assert response.status_code == 401
    assert error_of(response)["code"] == "not_authenticated"
    assert response["Cache-Control"] == "no-store"


def test_a_token_that_signs_nobody_in_is_401(db):
    assert token_client("not-a-session").get(OVERVIEW).status_code == 401


@pytest.mark.parametrize("url", URLS)
def test_every_report_is_403_for_a_customer(client, db, url):
    customer = make_user("ann@example.com")
    response = token_client(session_token(client, customer)).get(url)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "forbidden"
    assert "analytics.view_analytics" in error["message"]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ({"staff": True}, "forbidden"),  # staff, but not given the permission
        ({"grant": True}, "forbidden"),  # the permission, but not staff
        ({"staff": True, "grant": True, "totp": False}, "staff_two_factor_required"),
    ],
)
def test_only_staff_with_the_permission_and_two_factor_authentication(client, db, warehouse, who, code):
    user = make_user("someone@example.com", **who)
    client.force_login(user)
    response = client.get(OVERVIEW, WEEK)
    assert response.status_code == 403
    assert error_of(response)["code"] == code


def test_a_staff_token_without_two_factor_authentication_is_403(client, db, warehouse):
    user = make_user("new@example.com", staff=True, grant=True, totp=False)
    response = token_client(session_token(client, user)).get(OVERVIEW, WEEK)
    assert response.status_code == 403
    assert error_of(response)["code"] == "staff_two_factor_required"


def test_a_login_still_waiting_for_its_code_signs_nobody_in(client, analyst):
    response = client.post(
        "/_allauth/app/v1/auth/login",
        {"email": analyst.email, "password": "a long pass phrase 42"},
        content_type="application/json",
    )
    assert response.status_code == 401
    pending = response.json()["meta"]["session_token"]
    assert token_client(pending).get(OVERVIEW).status_code == 401


@pytest.mark.parametrize("url", URLS)
def test_staff_with_the_permission_get_every_report_by_session_token(client, analyst, warehouse, url):
    response = token_client(session_token(client, analyst)).get(url, WEEK)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["period"] == {"start": "2026-05-04", "end": "2026-05-08", "days": 5}


def test_the_admins_session_works_too(client, analyst, warehouse):
    client.force_login(analyst)
    assert client.get(OVERVIEW, WEEK).status_code == 200


def test_superusers_have_the_permission(client, db, warehouse):
    client.force_login(make_user("root@example.com", superuser=True))
    assert client.get(OVERVIEW, WEEK).status_code == 200


def test_a_user_without_the_permission_is_refused_before_the_parameters_are_read(client, db):
    client.force_login(make_user("staff@example.com", staff=True))
    response = client.get(OVERVIEW, {"range": "forever", "country": "XX"})
    assert response.status_code == 403


def test_a_deactivated_analysts_token_signs_nobody_in(client, analyst, warehouse):
    token = session_token(client, analyst)
    analyst.is_active = False
    analyst.save(update_fields=["is_active"])
    assert token_client(token).get(OVERVIEW, WEEK).status_code == 401


# Private answers ----------------------------------------------------------------------------


def test_answers_are_private_and_never_served_to_anyone_else(client, analyst, warehouse):
    client.force_login(analyst)
    response = client.get(OVERVIEW, WEEK)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response
    # The same URL right after: nothing kept for the next caller.
    assert Client().get(OVERVIEW, WEEK).status_code == 401
    customer = make_user("ann@example.com")
    assert token_client(session_token(Client(), customer)).get(OVERVIEW, WEEK).status_code == 403


# Parameters -----------------------------------------------------------------------------------


@pytest.fixture
def nothing_computed(monkeypatch, warehouse):
    """Fails the test if any report is computed or cached; returns a check that the
    warehouse is as it was."""

    def refuse(*args, **kwargs):
        raise AssertionError("a report was computed for refused parameters")

    monkeypatch.setattr(dashboards, "cached", refuse)
    stamp = warehouse_stamp()
    files = sorted(str(path.relative_to(warehouse)) for path in warehouse.rglob("*"))

    def unchanged() -> bool:
        return warehouse_stamp() == stamp and files == sorted(
            str(path.relative_to(warehouse)) for path in warehouse.rglob("*")
        )

    return unchanged


BAD_REPORT_PARAMETERS = [
    # (parameters, the field named); the first few are refused by the schema's types, the
    # rest by the report service (report_query).
    ({"range": "forever"}, "range"),
    ({"range": ""}, "range"),
    ({"compare": "last_week"}, "compare"),
    ({"channel": "email"}, "channel"),
    ({"device": "bot"}, "device"),
    ({"country": "GBR"}, "country"),
    ({"category": "mugs"}, "category"),
    ({"category": "0"}, "category"),
    ({"start": "1 May", "end": "2026-05-08"}, "start"),
    ({"start": "20260504", "end": "2026-05-08"}, "start"),
    ({"start": "2026-05-04", "end": "2026-05-32"}, "end"),
    ({"range": "today", **WEEK}, "range"),
    ({"start": "2026-05-04"}, "end"),
    ({"start": "2026-05-08", "end": "2026-05-04"}, "end"),
    ({"start": "2999-01-01", "end": "2999-01-02"}, "start"),
    ({"start": "2020-01-01", "end": "2026-01-01"}, "end"),
    ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
    ({"country": "XX"}, "country"),
    ({"category": "999999"}, "category"),
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("params", "field"), BAD_REPORT_PARAMETERS)
def test_a_bad_parameter_is_422_naming_it_and_nothing_is_computed(
    client, analyst, nothing_computed, url, params, field
):
    client.force_login(analyst)
    response = client.get(url, params)
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert all(isinstance(message, str) and message for message in error["fields"][field])
    assert response["Cache-Control"] == "no-store"
    assert nothing_computed()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "price"}, "sort"),
        ({"direction": "down"}, "direction"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "1000000001"}, "offset"),
    ],
)
def test_bad_products_table_options_are_422_naming_them(client, analyst, nothing_computed, params, field):
    client.force_login(analyst)
    response = client.get(PRODUCTS, params)
    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert nothing_computed()


def test_every_bad_parameter_the_report_service_finds_is_named_at_once(client, analyst, nothing_computed):
    client.force_login(analyst)
    response = client.get(
        PRODUCTS, {"start": "2026-05-04", "end": "2026-05-32", "country": "XX", "category": "999999"}
    )
    assert response.status_code == 422
    assert set(error_of(response)["fields"]) == {"end", "country", "category"}


def test_unknown_parameters_are_ignored_as_elsewhere_in_the_api(client, analyst, warehouse):
    client.force_login(analyst)
    plain = client.get(OVERVIEW, WEEK)
    tagged = client.get(OVERVIEW, {**WEEK, "utm_source": "mail", "colour": "red"})
    assert tagged.status_code == 200
    assert tagged.json() == plain.json()


def test_parameters_are_read_as_the_report_service_reads_them(client, analyst, warehouse):
    client.force_login(analyst)
    body = client.get(OVERVIEW, {**WEEK, "country": "gb", "compare": "year"}).json()
    assert body["filters"] == {"country": "GB", "category": None, "channel": None, "device": None}
    assert (body["range"], body["compare"]) == ("custom", "year")
    assert body["previous_period"] == {"start": "2025-05-04", "end": "2025-05-08", "days": 5}
