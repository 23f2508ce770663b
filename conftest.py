"""Suite-wide fixtures. Every test starts with an empty cache, on either tier."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
