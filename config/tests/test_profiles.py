"""The profiles and tiers are environment only: check them in fresh processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a production check.
    leave_out = {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "RATE_COUNTERS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base_env = {k: v for k, v in os.environ.items() if k not in leave_out}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base_env, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_prod_profile_passes_check_deploy_with_no_warnings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-key-for-the-test",
            "ALLOWED_HOSTS": "shop.example.com",
            "SHOPSTACK_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_prod_profile_refuses_to_start_without_a_secret_key(tmp_path):
    result = run_manage(
        "check",
        env={"DJANGO_SETTINGS_MODULE": "config.settings.prod", "SHOPSTACK_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def settings_under(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    code = (
        "import json, django; from django.conf import settings; django.setup();"
        "print(json.dumps({'db': settings.DATABASES['default']['ENGINE'],"
        " 'cache': settings.CACHES['default']['BACKEND'], 'pages': settings.CACHES['pages']['BACKEND'],"
        " 'counters': settings.RATE_COUNTERS['BACKEND'], 'session': settings.SESSION_ENGINE,"
        " 'tasks': settings.TASKS['default']['BACKEND'], 'debug': settings.DEBUG}))"
    )
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a production check.
    leave_out = {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "RATE_COUNTERS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base_env = {k: v for k, v in os.environ.items() if k not in leave_out}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base_env,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "SHOPSTACK_VAR_DIR": str(tmp_path),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_tier_needs_no_services(tmp_path):
    found = settings_under({}, tmp_path)
    assert found == {
        "db": "django.db.backends.sqlite3",
        # Shared by every process: the database's cache table and a counter file of the machine.
        "cache": "django.core.cache.backends.db.DatabaseCache",
        "pages": "django.core.cache.backends.locmem.LocMemCache",
        "counters": "shopstack.core.counters.sqlite_file.SqliteFileCounters",
        "session": "django.contrib.sessions.backends.db",
        "tasks": "django_tasks_db.DatabaseBackend",
        "debug": False,
    }
    assert (tmp_path / "secret_key").exists()


def test_scale_out_tier_is_only_environment_variables(tmp_path):
    found = settings_under(
        {"DATABASE_URL": "postgres://u@db:5432/shop", "REDIS_URL": "redis://cache:6379/0"}, tmp_path
    )
    assert found["db"] == "django.db.backends.postgresql"
    assert found["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert found["pages"] == "django.core.cache.backends.redis.RedisCache"
    assert found["counters"] == "shopstack.core.counters.redis.RedisCounters"
    assert found["session"] == "django.contrib.sessions.backends.cache"
