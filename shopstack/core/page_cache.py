"""Where rendered storefront pages and cached API answers are kept.

Every read and write of them goes through `page_cache()`, so giving them a cache of their
own (apart from sessions, rate limits and one-time codes) is a change of this one line."""

from __future__ import annotations

from django.core.cache import BaseCache, caches


def page_cache() -> BaseCache:
    """The cache of rendered pages and API answers."""
    return caches["default"]
