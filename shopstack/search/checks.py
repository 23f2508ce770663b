"""Deploy checks for search settings that production must not leave unsafe."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_popular_searches_need_several_visitors(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    if settings.SEARCH_POPULAR_MIN_VISITORS >= 2:
        return []
    return [
        Warning(
            "SEARCH_POPULAR_MIN_VISITORS is below 2: one visitor's search (spam text included) "
            "becomes a popular search that autocomplete suggests to every shopper.",
            hint="Set SEARCH_POPULAR_MIN_VISITORS to 3 (the default) or more.",
            id="shopstack.W060",
        )
    ]
