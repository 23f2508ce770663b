"""Error format for everything under /api/, ETags and caching headers."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopstack.api.tests.conftest import error_of
from shopstack.catalog.services import products_change_price

URL = "/api/v1/products"


def test_unknown_routes_under_api_are_json_404(client, db):
    for path in ("/api/v1/nothing", "/api/v2/products", "/api/", "/api/v1/products/1/extra"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


def test_api_root_points_at_the_docs(client, db):
    body = client.get("/api/v1/").json()
    assert body["docs"].endswith("/api/v1/docs")


def test_wrong_method_is_405_json(client, catalog):
    response = client.post(URL, {})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_detail_etag_and_304(client, catalog):
    path = f"{URL}/{catalog['teapot'].pk}"
    first = client.get(path)
    etag = first["ETag"]
    assert etag.startswith('"')
    assert first["Cache-Control"] == "public, max-age=60"
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert client.get(path, headers={"If-None-Match": f'W/{etag}, "other"'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_detail_etag_changes_after_a_price_change(client, catalog):
    product = catalog["teapot"]
    path = f"{URL}/{product.pk}"
    etag = client.get(path)["ETag"]
    products_change_price(actor=None, product_ids=[product.pk], amount=Decimal("1.00"))
    response = client.get(path, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["price"] == "13.50"
    assert client.get(f"{URL}/by-slug/{product.slug}", headers={"If-None-Match": etag}).status_code == 200


def test_list_etag_depends_on_query_and_catalog(client, catalog):
    first = client.get(URL)
    assert client.get(URL, headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert client.get(URL, {"sort": "price"})["ETag"] != first["ETag"]
    products_change_price(actor=None, product_ids=[catalog["trowel"].pk], percent=Decimal("10"))
    changed = client.get(URL, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    prices = {item["id"]: item["price"] for item in changed.json()["items"]}
    assert prices[catalog["trowel"].pk] == "7.70"
    tree = client.get("/api/v1/categories")
    assert client.get("/api/v1/categories", headers={"If-None-Match": tree["ETag"]}).status_code == 304


def test_cached_detail_and_conditional_requests_are_two_queries(client, catalog):
    # The product's version, and its variants' stock counts (never cached: they are exact).
    path = f"{URL}/{catalog['red_mug'].pk}"
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    assert len(queries) == 2
    etag = client.get(path)["ETag"]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert len(queries) == 2


def test_uncached_detail_takes_a_bounded_number_of_queries(client, catalog):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{URL}/{catalog['red_mug'].pk}").status_code == 200
    assert len(queries) <= 12


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_schema_and_docs_are_served(client, db, path):
    assert client.get(path).status_code == 200
