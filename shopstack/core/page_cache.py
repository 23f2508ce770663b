"""Where rendered storefront pages and cached API answers are kept.

Every read and write of them goes through `page_cache()`. They have a cache of their own,
"pages", apart from the shared default cache of sessions, sign-in limits and one-time codes:
a page is keyed by what it shows, so on the embedded tier each process's own memory serves
as well as a shared store (config/settings/env.py, caches_from_url)."""

from __future__ import annotations

from django.core.cache import BaseCache, caches


def page_cache() -> BaseCache:
    """The cache of rendered pages and API answers."""
    return caches["pages"]
