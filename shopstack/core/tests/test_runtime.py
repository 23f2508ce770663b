"""The web process freezes its start-up heap, so full collections skip it."""

from __future__ import annotations

import gc

from django.urls import get_resolver

from shopstack.core.runtime import settle_heap


def test_settling_loads_the_url_patterns_and_freezes_what_exists() -> None:
    gc.unfreeze()
    try:
        settle_heap()
        frozen = gc.get_freeze_count()
        assert get_resolver()._populated
        # Everything alive at that moment is frozen: nothing old is left for the collector.
        assert frozen > 10_000
        assert len(gc.get_objects(generation=2)) < frozen / 10
    finally:
        gc.unfreeze()
