from shopstack.testing.payments import live_gateway  # noqa: F401 (fixture)
