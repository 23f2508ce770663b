"""The profiles and tiers are environment only: check them in fresh processes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROD_PAYMENTS = {
    "PAYMENT_GATEWAY_BACKEND": "shopstack.payments.backends.stripe.StripeGateway",
    "PAYMENT_GATEWAY_API_KEY": "sk_live_shop",
    "PAYMENT_GATEWAY_WEBHOOK_SECRET": "whsec_shop",
}


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
        timeout=300,
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
            **PROD_PAYMENTS,
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


def python_under(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with the prod profile and `env` (nothing inherited
    that picks a tier or a payment backend)."""
    leave_out = {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    leave_out |= {name for name in os.environ if name.startswith(("PAYMENT_", "TEST_GATEWAY"))}
    base_env = {k: v for k, v in os.environ.items() if k not in leave_out}
    prod = {
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "x" * 30 + "-a-long-random-production-secret-key-for-the-test",
        "ALLOWED_HOSTS": "shop.example.com",
        "SHOPSTACK_VAR_DIR": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base_env, **prod, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# What a production server does first: granian and gunicorn import the WSGI application,
# which loads the settings. No system check runs there, so the settings refuse.
LOAD_WSGI = "from config.wsgi import application"


def test_prod_profile_refuses_to_start_without_a_payment_backend(tmp_path):
    result = python_under(LOAD_WSGI, {}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured: PAYMENT_GATEWAY_BACKEND must be set" in result.stderr


def test_prod_profile_refuses_the_test_gateway_unless_it_is_also_enabled(tmp_path):
    named = {"PAYMENT_GATEWAY_BACKEND": "shopstack.payments.backends.testgateway.LocalTestGateway"}
    result = python_under(LOAD_WSGI, named, tmp_path)
    assert result.returncode != 0
    assert "only with TEST_GATEWAY_ENABLED=1" in result.stderr
    result = python_under(LOAD_WSGI, {**named, "TEST_GATEWAY_ENABLED": "1"}, tmp_path)
    assert result.returncode == 0, result.stderr


ROUTES = (
    "import json; from config.wsgi import application; from django.conf import settings;"
    "from django.urls import resolve, Resolver404\n"
    "def served(path):\n"
    "    try:\n        resolve(path)\n    except Resolver404:\n        return False\n    return True\n"
    "print(json.dumps({'backend': settings.PAYMENT_GATEWAY['BACKEND'].rsplit('.', 1)[-1],"
    " 'test_gateway': served('/_testgateway/pay/s')}))"
)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (PROD_PAYMENTS, {"backend": "StripeGateway", "test_gateway": False}),
        ({**PROD_PAYMENTS, "TEST_GATEWAY_ENABLED": "1"}, {"backend": "StripeGateway", "test_gateway": True}),
        (
            {
                "PAYMENT_GATEWAY_BACKEND": "shopstack.payments.backends.testgateway.LocalTestGateway",
                "TEST_GATEWAY_ENABLED": "1",
            },
            {"backend": "LocalTestGateway", "test_gateway": True},
        ),
    ],
)
def test_prod_profile_serves_the_test_gateway_only_when_enabled(tmp_path, env, expected):
    result = python_under(ROUTES, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == expected


def test_demo_profile_takes_test_payments_with_no_settings(tmp_path):
    demo = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "SECRET_KEY": ""}
    result = python_under(ROUTES, demo, tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "backend": "LocalTestGateway",
        "test_gateway": True,
    }


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
        timeout=300,
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
