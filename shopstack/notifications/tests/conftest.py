from shopstack.testing.payments import live_gateway  # noqa: F401 (fixture)
from shopstack.testing.smtp import smtp_server  # noqa: F401 (fixture)
