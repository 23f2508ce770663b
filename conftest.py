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
