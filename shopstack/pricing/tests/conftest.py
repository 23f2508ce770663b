import pytest

from shopstack.testing.pricing import ensure_tax_seed


@pytest.fixture
def tax_seed(db):
    """The seeded tax tables, whatever an earlier transactional test flushed."""
    ensure_tax_seed()
