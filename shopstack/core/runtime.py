"""Settling a long-running process once it has loaded everything it will keep.

A web process holds some 150,000 objects after start-up (modules, URL patterns, the API's
schemas) that live as long as it does. Python's collector walks all of them in every
full collection: measured with bench/profile_checkout.py, one full collection paused a
request for 250 ms, the largest single cost in the checkout's p95. `gc.freeze()` moves
what exists now out of the collector's sight, so later collections walk only what
requests create. Memory is unaffected; objects frozen here are never freed, which is
what start-up objects are anyway.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Load what the first request would load lazily, then freeze the heap as it is."""
    from django.urls import get_resolver

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 (imports every view module, the API's included)
    resolver._populate()  # the reverse() tables
    gc.collect()
    gc.freeze()
