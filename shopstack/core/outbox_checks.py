"""Deploy checks for the outbox and retention settings (ids shopstack.E050-E059).

Named apart from a general core/checks.py on purpose: these only guard settings of
core.events and core.retention."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


def _number(name: str, default: int) -> int | None:
    try:
        return int(getattr(settings, name, default))
    except (TypeError, ValueError):
        return None


@register(Tags.security, deploy=True)
def check_retention_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    keys = _number("IDEMPOTENCY_KEYS_KEEP_DAYS", 7)
    if keys is None or keys < 1:
        problems.append(
            Error(
                "IDEMPOTENCY_KEYS_KEEP_DAYS must be a whole number of days, at least 1.",
                hint="A client repeating a payment or an order after its key was pruned would "
                "be served a second time (charged twice). Keep keys for days, not hours.",
                id="shopstack.E050",
            )
        )
    attempts = _number("OUTBOX_MAX_ATTEMPTS", 10)
    if attempts is None or attempts < 1:
        problems.append(
            Error(
                "OUTBOX_MAX_ATTEMPTS must be a whole number, at least 1.",
                hint="With 0, every outbox delivery would be given up before it is tried.",
                id="shopstack.E051",
            )
        )
    for name, default in (("OUTBOX_KEEP_DAYS", 7), ("SEARCH_LOG_KEEP_DAYS", 180)):
        days = _number(name, default)
        if days is None or days < 0:
            problems.append(Error(f"{name} must be a whole number of days, 0 or more.", id="shopstack.E052"))
    return problems
