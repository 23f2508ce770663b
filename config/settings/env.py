"""Small parsers that turn environment variables into Django settings.

Kept apart from base.py so they can be unit-tested without loading settings.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url


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
    """The default cache: in-process unless a Redis URL is given."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": "shopstack",
                "TIMEOUT": 3600,
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "shopstack",
            "TIMEOUT": 3600,
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
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


def url_origin(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute URL; None for a path on the shop's own origin."""
    parts = urlparse(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"
