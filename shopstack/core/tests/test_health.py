import pytest


@pytest.mark.django_db
def test_readyz_reports_database_cache_limits_and_event_store(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": True, "cache": True, "limits": True, "event_store": True},
    }


@pytest.mark.django_db
def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_fails(client, monkeypatch):
    from shopstack.core import middleware

    monkeypatch.setattr(middleware, "cache_answers", lambda: False)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] is False


@pytest.mark.django_db
def test_readyz_is_503_when_the_limit_store_fails(client, settings, tmp_path):
    from shopstack.core.backends import load_backend

    # A counter file where no file can be made: the store cannot answer.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.RATE_COUNTERS = {
        "BACKEND": "shopstack.core.counters.sqlite_file.SqliteFileCounters",
        "OPTIONS": {"path": str(blocker / "limits.sqlite3")},
    }
    load_backend.cache_clear()
    try:
        response = client.get("/readyz")
    finally:
        load_backend.cache_clear()
    assert response.status_code == 503
    assert response.json()["checks"]["limits"] is False


@pytest.fixture
def event_store_at(settings):
    """Point the analytics event store somewhere else for one test."""
    from shopstack.core.backends import load_backend

    def point(url: str) -> None:
        settings.ANALYTICS_EVENT_STORE = {
            "BACKEND": "shopstack.analytics.store.postgres.PostgresEventStore",
            "OPTIONS": {"url": url},
        }
        load_backend.cache_clear()

    yield point
    load_backend.cache_clear()


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:  # a port nothing listens on once this socket is closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_readyz_reports_the_analytics_event_store(client):
    # Registered by analytics' AppConfig: core itself knows nothing of analytics.
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["event_store"] is True


@pytest.mark.django_db
def test_readyz_is_503_naming_the_event_store_when_its_server_is_not_there(client, event_store_at):
    event_store_at(f"postgres://postgres@127.0.0.1:{_closed_port()}/shopstack_events")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": True, "cache": True, "limits": True, "event_store": False},
    }


@pytest.mark.django_db
def test_readyz_is_503_when_the_event_store_database_does_not_exist(client, event_store_at):
    from django.db import connection

    if connection.vendor != "postgresql":
        # Runs on the scale-out tier of CI; the embedded tier has no server of its own to ask
        # (the closed-port test above covers an unreachable store there).
        pytest.skip("scale-out tier only: needs the shop's PostgreSQL server to ask for a missing database")
    db = connection.settings_dict
    server = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    event_store_at(f"postgres://{db['USER']}@{server}/no_such_db_readyz")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["event_store"] is False


def test_a_readiness_check_that_raises_answers_false_and_core_names_are_its_own():
    from shopstack.core import readiness

    def broken() -> bool:
        raise RuntimeError("the store is gone")

    readiness.readiness_register(name="test_broken", check=broken)
    try:
        assert readiness.readiness_report()["test_broken"] is False
    finally:
        readiness._registry.pop("test_broken")
    with pytest.raises(ValueError):
        readiness.readiness_register(name="database", check=lambda: True)
