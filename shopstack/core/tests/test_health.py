import pytest


@pytest.mark.django_db
def test_readyz_reports_database_cache_and_limits(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "cache": True, "limits": True}}


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
