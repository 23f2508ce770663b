"""The search services' tests (test_services.py) again, on the tantivy engine: the shop's
behaviour (freshness, typos, synonyms, fallbacks, merchandising) must not depend on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shopstack.core.backends import load_backend
from shopstack.search.tests.test_services import *  # noqa: F403 - the same tests, collected here again


@pytest.fixture(autouse=True)
def _tantivy_engine(settings: object, tmp_path: Path) -> Iterator[None]:
    settings.SEARCH = {  # type: ignore[attr-defined]
        "BACKEND": "shopstack.search.backends.tantivy_engine.TantivyBackend",
        "OPTIONS": {"path": str(tmp_path / "tantivy")},
    }
    load_backend.cache_clear()
    yield
    load_backend.cache_clear()


def test_first_search_indexes_the_catalog(shop: dict) -> None:
    # Replaces the test of the same name: both titles hold both words, and the engines' BM25
    # differ on which comes first. FTS5 weights a column's hits before BM25 saturates them (a
    # title hit saturates, title length barely counts: the best seller wins); tantivy scores
    # each field and then weights it, so the shorter title's lead (x1.24 here) beats the best
    # seller's lift (x1.08). Both are found, as there; only their order differs. On the demo
    # judgement set the two engines rank equally well overall (docs/search.md, "Engines").
    assert found("heart holder") == ["Red Heart Candle Holder", "White Hanging Heart T-Light Holder"]  # noqa: F405
