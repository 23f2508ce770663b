"""The relevance rules' tests (test_relevance.py) again, on the tantivy engine (the embedded
tier's default): partial-match tiers, compounds, the correction guard and one-character
suggestions are the service's, and must hold whichever engine ranks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shopstack.core.backends import load_backend
from shopstack.search.tests.test_relevance import *  # noqa: F403 - the same tests, collected here again


@pytest.fixture(autouse=True)
def _tantivy_engine(settings: object, tmp_path: Path) -> Iterator[None]:
    settings.SEARCH = {  # type: ignore[attr-defined]
        "BACKEND": "shopstack.search.backends.tantivy_engine.TantivyBackend",
        "OPTIONS": {"path": str(tmp_path / "tantivy")},
    }
    load_backend.cache_clear()
    yield
    load_backend.cache_clear()
