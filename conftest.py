"""Suite-wide fixtures. Every test starts with an empty cache, on either tier."""

import pytest
from django.core.cache import cache

from shopstack.api.throttling import local_counters_reset
from shopstack.core.reference import reference_caches_clear


@pytest.fixture(autouse=True)
def _empty_cache():
    # The API's per-process rate counters stand in for the cache on the embedded tier.
    cache.clear()
    local_counters_reset()
    # Tables emptied by a transactional test's flush send no signals: no copy may outlive them.
    reference_caches_clear()
    yield
    cache.clear()
    local_counters_reset()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Remove the search index directories named after this process's test database
    (var/search/tantivy-v<format>-shopstack-test-<pid>.sqlite3): a test that searches
    through tantivy without a directory of its own writes there, and each run has a new
    pid, so they would pile up in var/."""
    import os
    import shutil
    from pathlib import Path

    from django.conf import settings

    if not settings.configured:
        return
    for directory in (Path(settings.VAR_DIR) / "search").glob(f"tantivy-*-shopstack-test-{os.getpid()}.*"):
        shutil.rmtree(directory, ignore_errors=True)
