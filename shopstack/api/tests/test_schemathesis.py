"""Property-based tests from the OpenAPI schema: whatever schemathesis sends, the API
answers as documented and never with a 5xx. Runs in-process against the WSGI app.

The analytics reports are asked by a staff member's session token (with the permission and
TOTP), over the small warehouse of analytics_shop.py, so their answers are checked too and
not only their 401."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from shopstack.api.tests.analytics_shop import make_user, session_token, write_shop
from shopstack.api.v1 import api
from shopstack.catalog.media import attach_placeholder_images
from shopstack.testing.factories import make_category, make_product

# Loaded from the API object, so collecting this module needs no request or database.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1/"))
schema.app = WSGIHandler()


ANALYTICS = "/api/v1/analytics/"


@pytest.fixture
def seeded(db, settings, client, tmp_path_factory):
    settings.API_THROTTLE_ANON = settings.API_THROTTLE_EVENTS = settings.API_THROTTLE_AUTH = "100000/m"
    warehouse = tmp_path_factory.mktemp("warehouse")
    settings.ANALYTICS_WAREHOUSE_ROOT = str(warehouse)
    write_shop(warehouse)
    staff_token = session_token(client, make_user("analyst@example.com", staff=True, grant=True))
    home = make_category(name="Home", slug="home")
    mugs = make_category(name="Mugs", slug="mugs", parent=home)
    for i in range(5):
        product = make_product(
            name=f"Mug {i}", price=f"{i + 1}.50", category=mugs, attributes={"Colour": "Red"}, slug=f"mug-{i}"
        )
    attach_placeholder_images(product, widths=(240, 480))
    # The app's requests share the test's transaction: keep Django from closing the
    # connection at the end of each one, as its own test client does.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield {"X-Session-Token": staff_token}
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_as_documented(case, seeded):
    # Every check but "schema-valid data is accepted": a cursor is opaque and signed, and
    # a price range must not be upside down, which no schema can say; such requests get
    # a documented 4xx, checked by the other tests.
    excluded = [positive_data_acceptance]
    if case.operation.path == "/api/v1/events":
        # Nor "schema-invalid data is refused" for app events: a batch keeps its good events
        # when one is bad (202, listing the bad one), by design; test_events_api checks it.
        excluded.append(negative_data_rejection)
    headers = seeded if case.operation.path.startswith(ANALYTICS) else None
    case.call_and_validate(headers=headers, excluded_checks=excluded)
