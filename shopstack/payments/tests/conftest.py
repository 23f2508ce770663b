import pytest

from shopstack.core.backends import load_backend
from shopstack.testing.payments import GatewayHarness, configure_test_gateway, live_gateway  # noqa: F401


@pytest.fixture(params=["testgateway"])
def gateway(request, live_server, settings):
    """Every gateway backend the contract suite runs against (each reached over real HTTP)."""
    assert request.param == "testgateway"
    harness = GatewayHarness(
        backend=configure_test_gateway(settings, live_server.url), shop_url=live_server.url
    )
    yield harness
    harness.finish()
    load_backend.cache_clear()
