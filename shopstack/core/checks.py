"""System checks for settings that would let a limit or a one-time code be counted per
process. `manage.py check --deploy` reports them; production must not start with them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

# Caches private to one process: a limit counted there is multiplied by the worker count.
_PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.security, Tags.caches, deploy=True)
def check_shared_limits(app_configs: Any = None, **kwargs: Any) -> list[Warning | Error]:
    problems: list[Warning | Error] = []
    default_cache = settings.CACHES.get("default", {}).get("BACKEND", "")
    if default_cache in _PER_PROCESS_CACHES:
        problems.append(
            Error(
                f"The default cache ({default_cache}) is private to each process.",
                hint=(
                    "Sign-in limits and two-factor codes' 'used' markers live in the default cache: "
                    "with several workers each keeps its own, so a code works once per worker. "
                    "Set REDIS_URL, or leave CACHE_URL unset for the database cache."
                ),
                id="shopstack.E001",
            )
        )
    counters = settings.RATE_COUNTERS.get("BACKEND", "")
    database = settings.DATABASES["default"]["ENGINE"]
    if counters.endswith("SqliteFileCounters") and not database.endswith("sqlite3"):
        problems.append(
            Warning(
                "Rate-limit counts are kept in a file on each machine while the shop's database is a server.",
                hint=(
                    "Web processes on other machines count apart. Set REDIS_URL (or RATE_COUNTERS_URL) "
                    "to share the counts."
                ),
                id="shopstack.W002",
            )
        )
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and settings.TRUSTED_PROXY_COUNT == 0:
        problems.append(
            Warning(
                "SECURE_PROXY_SSL_HEADER says a proxy stands in front, but TRUSTED_PROXY_COUNT is 0.",
                hint=(
                    "Every client would be counted as the proxy's address, so one client's limit is "
                    "everyone's. Set TRUSTED_PROXY_COUNT to the number of proxies that append to "
                    "X-Forwarded-For (docs/security.md)."
                ),
                id="shopstack.W003",
            )
        )
    return problems
