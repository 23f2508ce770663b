"""Deploy checks for the input limits (docs/input.md): `manage.py check --deploy` reports them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

MIDDLEWARE = "shopstack.core.text_middleware.ControlCharacterMiddleware"


@register(Tags.security, deploy=True)
def input_limits(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    if MIDDLEWARE not in settings.MIDDLEWARE:
        problems.append(
            Error(
                f"{MIDDLEWARE} is not in MIDDLEWARE: pages would pass control characters to "
                "views, and U+0000 is a 500 on PostgreSQL.",
                hint=f"Keep {MIDDLEWARE} in MIDDLEWARE (after the message middleware).",
                id="shopstack.E030",
            )
        )
    if settings.DATA_UPLOAD_MAX_MEMORY_SIZE is None:
        problems.append(
            Warning(
                "DATA_UPLOAD_MAX_MEMORY_SIZE is None: request bodies of any size are read into memory.",
                hint="Leave it at Django's 2.5 MB default, or set a limit.",
                id="shopstack.W030",
            )
        )
    return problems
