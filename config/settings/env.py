"""Small parsers that turn environment variables into Django settings.

Kept apart from base.py so they can be unit-tested without loading settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, Any]:
    """Database settings for a URL; SQLite gets the options that make it a server-grade store."""
    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
            # busy timeout instead of one failing with "database is locked" mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA mmap_size=134217728;"
                "PRAGMA cache_size=-20000;"
            ),
        }
        config["CONN_MAX_AGE"] = None
    else:
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
    return config


def caches_from_url(url: str) -> dict[str, Any]:
    """Two caches. "default" is shared by every process of the shop, because sign-in
    limits, one-time-code markers and locks live there (allauth uses it): Redis when a URL
    is given, else a table in the shop's database. "pages" holds rendered pages and API
    answers, keyed by what they show, so a per-process copy is as good as a shared one:
    Redis when given (one render serves every process), else in-process memory."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "TIMEOUT": 3600}
        return {
            "default": {**redis, "KEY_PREFIX": "shopstack"},
            "pages": {**redis, "KEY_PREFIX": "shopstack:pages"},
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "shopstack_cache",
            "TIMEOUT": 3600,
            # Culling deletes entries by key order once the table is full, live ones too: a
            # flood of keys must never push out a one-time code's "used" marker.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "shopstack-pages",
            "TIMEOUT": 3600,
            "OPTIONS": {"MAX_ENTRIES": 20000},
        },
    }


def counters_from_url(url: str, var_dir: Path) -> dict[str, Any]:
    """The store of rate-limit counts (core/counters): Redis when given, else a SQLite file
    of its own beside the shop's database, shared by the processes of this machine."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"BACKEND": "shopstack.core.counters.redis.RedisCounters", "OPTIONS": {"url": url}}
    return {
        "BACKEND": "shopstack.core.counters.sqlite_file.SqliteFileCounters",
        "OPTIONS": {"path": str(var_dir / "limits.sqlite3")},
    }


def event_store_from_url(url: str, database_url: str, var_dir: Path) -> dict[str, Any]:
    """Where analytics events wait for compaction (analytics/store): a PostgreSQL table (in
    the database at `url`, else in the shop's own when that is PostgreSQL), which every web
    process of every machine appends to; else a SQLite file of its own beside the shop's
    database."""
    backend = "shopstack.analytics.store.postgres.PostgresEventStore"
    if url.startswith(("postgres://", "postgresql://")):
        return {"BACKEND": backend, "OPTIONS": {"url": url}}
    if not url and database_url.startswith(("postgres://", "postgresql://")):
        return {"BACKEND": backend, "OPTIONS": {}}
    return {
        "BACKEND": "shopstack.analytics.store.sqlite_file.SqliteFileEventStore",
        "OPTIONS": {"path": str(var_dir / "events.sqlite3")},
    }


def mailer_from_url(url: str) -> dict[str, Any]:
    """A MAILERS entry from smtp://user:pass@host:port?tls=1, console://, locmem:// or file:///dir."""
    parsed = urlparse(url)
    scheme = parsed.scheme
    backends = "django.core.mail.backends"
    if scheme == "console":
        return {"BACKEND": f"{backends}.console.EmailBackend"}
    if scheme == "locmem":
        return {"BACKEND": f"{backends}.locmem.EmailBackend"}
    if scheme == "file":
        path = unquote(parsed.path)
        Path(path).mkdir(parents=True, exist_ok=True)
        return {"BACKEND": f"{backends}.filebased.EmailBackend", "OPTIONS": {"file_path": path}}
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parsed.query)
        return {
            "BACKEND": f"{backends}.smtp.EmailBackend",
            "OPTIONS": {
                "host": parsed.hostname or "localhost",
                "port": parsed.port or (465 if scheme == "smtps" else 25),
                "username": unquote(parsed.username or ""),
                "password": unquote(parsed.password or ""),
                "use_ssl": scheme == "smtps",
                "use_tls": query.get("tls", ["0"])[0] in {"1", "true"},
                "timeout": 10,
            },
        }
    raise ValueError(f"EMAIL_URL scheme {scheme!r} is not one of console, locmem, file, smtp, smtps")


def secret_key(var_dir: Path, *, required: bool) -> str:
    """SECRET_KEY from the environment; the demo generates one into var/ once and keeps it."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if required:
        raise RuntimeError("SECRET_KEY must be set in the environment for the prod profile")
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    # The web workers, the task worker and the scheduler start together on a fresh var/:
    # the key is written to a file of its own and linked into place, which succeeds for
    # exactly one of them, and every process then reads that one key. (Each writing its
    # own made the worker's test gateway key differ from the web's: every charge got 401.)
    draft = var_dir / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    draft.write_text(secrets.token_urlsafe(64))
    draft.chmod(0o600)
    try:
        os.link(draft, key_file)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return key_file.read_text().strip()


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of an absolute URL, lower-cased: what a browser calls its origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def payment_backend(*, profile: str, test_backend: str, test_enabled: bool) -> str:
    """PAYMENT_GATEWAY_BACKEND; outside production the built-in test gateway by default.

    Production refuses to load rather than take payments it never charges: it needs the
    backend named, and the test gateway both named and enabled (TEST_GATEWAY_ENABLED=1).
    """
    backend = os.environ.get("PAYMENT_GATEWAY_BACKEND", "").strip()
    if profile != "prod":
        return backend or test_backend
    if not backend:
        raise ImproperlyConfigured(
            "PAYMENT_GATEWAY_BACKEND must be set in the environment for the prod profile "
            "(e.g. shopstack.payments.backends.stripe.StripeGateway): production never falls "
            "back to the built-in test gateway."
        )
    if backend == test_backend and not test_enabled:
        raise ImproperlyConfigured(
            "PAYMENT_GATEWAY_BACKEND names the built-in test gateway, which accepts test cards "
            "and charges nothing: the prod profile uses it only with TEST_GATEWAY_ENABLED=1 too."
        )
    return backend


def url_origin(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute URL; None for a path on the shop's own origin."""
    parts = urlparse(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"
