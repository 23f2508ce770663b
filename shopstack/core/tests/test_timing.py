import re

import pytest
from django.test import Client

APP_ONLY = re.compile(r"^app;dur=(\d+\.\d{2})$")
WITH_DB = re.compile(r'^app;dur=(\d+\.\d{2}), db;dur=(\d+\.\d{2});desc="(\d+) queries"$')


@pytest.mark.django_db
def test_every_response_carries_the_server_time(client):
    for path in ("/healthz", "/readyz", "/no-such-page/"):
        response = client.get(path)
        match = APP_ONLY.match(response["Server-Timing"])
        assert match, (path, response["Server-Timing"])
        assert float(match.group(1)) >= 0


@pytest.mark.django_db
def test_server_time_covers_the_view(client, monkeypatch):
    from shopstack.core import middleware

    def slow_cache_probe() -> bool:
        import time

        time.sleep(0.03)
        return True

    monkeypatch.setattr(middleware, "cache_answers", slow_cache_probe)
    response = client.get("/readyz")
    duration = float(APP_ONLY.match(response["Server-Timing"]).group(1))
    assert duration >= 30.0


@pytest.mark.django_db
def test_database_time_and_query_count_when_the_setting_is_on(settings):
    settings.SERVER_TIMING_DB = True
    fresh = Client()  # the middleware reads the setting when the handler is built
    response = fresh.get("/readyz")
    match = WITH_DB.match(response["Server-Timing"])
    assert match, response["Server-Timing"]
    app_ms, db_ms, queries = float(match.group(1)), float(match.group(2)), int(match.group(3))
    assert queries >= 1  # the readiness probe's SELECT 1
    assert 0 <= db_ms <= app_ms
    untouched = fresh.get("/healthz")
    assert WITH_DB.match(untouched["Server-Timing"]).group(3) == "0"
