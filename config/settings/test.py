"""Test profile: base settings with fast hashing and tasks run in-process."""

import os
import tempfile

os.environ["SHOPSTACK_PROFILE"] = "test"

from config.settings.base import *  # noqa: F403
from config.settings.base import ANALYTICS_EVENT_STORE, RATE_COUNTERS, SEARCH, TASKS

# Argon2 is what production uses (asserted in tests); MD5 keeps thousands of test logins fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {
    **TASKS,
    "default": {
        **TASKS["default"],
        "BACKEND": os.environ.get("TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"),
    },
}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "catalog_imports": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and "SEARCH_BACKEND" not in os.environ:
    # The embedded default (tantivy) keeps its index in a directory, which the rollback that
    # ends each test does not undo: the suite searches through FTS5, inside the test database.
    # The search app's tests run tantivy itself, on an empty directory per test
    # (test_backend_contract, test_tantivy_engine, test_tantivy_services).
    SEARCH = {**SEARCH, "BACKEND": "shopstack.search.backends.sqlite_fts.SqliteFtsBackend"}

if RATE_COUNTERS["BACKEND"].endswith("SqliteFileCounters"):
    import tempfile

    # One counter file per test process, as for the test database below.
    RATE_COUNTERS = {
        **RATE_COUNTERS,
        "OPTIONS": {
            "path": os.path.join(tempfile.gettempdir(), f"shopstack-test-limits-{os.getpid()}.sqlite3")
        },
    }

# Events are written as they are recorded: a test reads what its request recorded.
ANALYTICS_FLUSH_SECONDS = 0.0
# One event store and warehouse per test process (xdist workers, parallel CI runs). On
# PostgreSQL the store's table is in the test database, which is the process's own.
if ANALYTICS_EVENT_STORE["BACKEND"].endswith("SqliteFileEventStore"):
    ANALYTICS_EVENT_STORE = {
        **ANALYTICS_EVENT_STORE,
        "OPTIONS": {
            "path": os.path.join(tempfile.gettempdir(), f"shopstack-test-events-{os.getpid()}.sqlite3")
        },
    }
ANALYTICS_WAREHOUSE_ROOT = os.path.join(tempfile.gettempdir(), f"shopstack-test-warehouse-{os.getpid()}")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not Django's shared-cache in-memory database: shared cache locks whole tables
    # and ignores the busy timeout, so concurrency tests would not see what production sees.
    # One file per test process, so parallel runs (and xdist workers) never share one.
    import tempfile

    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"shopstack-test-{os.getpid()}.sqlite3")
    }
