"""Suite-wide fixtures. Every test starts with empty caches and rate-limit counts, on either tier."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from shopstack.analytics.store import event_store
from shopstack.core.limits import counters
from shopstack.core.reference import reference_caches_clear

# Property tests must not depend on a quiet machine: no per-example deadline, and no health
# check failing a test because generating its data was slow on a loaded CI machine.
hypothesis_settings.register_profile(
    "shopstack", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
hypothesis_settings.load_profile("shopstack")

# Fixtures that give a test the database (pytest-django's own, and the live server's).
_DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "live_server",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


def _uses_database(request) -> bool:
    return request.node.get_closest_marker("django_db") is not None or bool(
        _DATABASE_FIXTURES & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def _empty_cache(request):
    # On the embedded tier the default cache is a table of the test database: it can be
    # emptied only by a test that may use the database, once that access is set up (the
    # same helper pytest-django's own fixtures use, so the test keeps its own kind of access).
    # A test without the database cannot have written to it either.
    if _uses_database(request):
        request.getfixturevalue("_django_db_helper")
    _clear_all(request)
    # Tables emptied by a transactional test's flush send no signals: no copy may outlive them.
    reference_caches_clear()
    yield
    caches["pages"].clear()
    counters().clear()
    if _uses_database(request):
        # On PostgreSQL the store is a table of the test database.
        event_store().clear()


def _clear_all(request) -> None:
    if _uses_database(request) or not isinstance(caches["default"], DatabaseCache):
        caches["default"].clear()
    caches["pages"].clear()
    counters().clear()
    if _uses_database(request):
        event_store().clear()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    result = yield
    if fixturedef.argname == "django_db_setup":
        # Runs before the test database is dropped: on PostgreSQL the event store holds a
        # connection of its own to it (every page a test requests records events), and a
        # database cannot be dropped while anyone is connected.
        fixturedef.addfinalizer(lambda: event_store().close())
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the search index directories named after this process's test database
    (var/search/tantivy-v<format>-shopstack-test-<pid>.sqlite3): a test that searches
    through tantivy without a directory of its own writes there, and each run has a new
    pid, so they would pile up in var/."""
    import os
    import shutil
    from pathlib import Path

    from django.conf import settings

    if not settings.configured:
        return
    for directory in (Path(settings.VAR_DIR) / "search").glob(f"tantivy-*-shopstack-test-{os.getpid()}.*"):
        shutil.rmtree(directory, ignore_errors=True)
