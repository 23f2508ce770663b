import pytest

from shopstack.testing.payments import GatewayHarness, configure_test_gateway, live_gateway  # noqa: F401


@pytest.fixture(params=["testgateway"])
def gateway(request, live_server, settings) -> GatewayHarness:
    """Every gateway backend the contract suite runs against (each reached over real HTTP)."""
    if request.param == "testgateway":
        return GatewayHarness(
            backend=configure_test_gateway(settings, live_server.url), shop_url=live_server.url
        )
    raise AssertionError(request.param)
