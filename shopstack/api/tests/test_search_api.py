"""GET /api/v1/search and /api/v1/search/suggest: answers, and 4xx (never 500) for bad input."""

from __future__ import annotations

import pytest

from shopstack.api.tests.conftest import error_of
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db
URL = "/api/v1/search"


@pytest.fixture
def shop() -> dict:
    candles = make_category(name="Candles")
    garden = make_category(name="Garden")
    for word in ("Trowel", "Rake", "Hose", "Gnome", "Bench", "Fork"):
        make_product(name=f"Garden {word}", price="30.00", category=garden)
    return {
        "holder": make_product(
            name="White Heart T-Light Holder", price="2.95", category=candles, attributes={"Colour": "White"}
        ),
        "red": make_product(
            name="Red Heart Candle Holder", price="8.00", category=candles, attributes={"Colour": "Red"}
        ),
    }


def test_search_answers_hits_facets_and_understanding(client, shop) -> None:
    body = client.get(URL, {"q": "hart holder under £5"}).json()
    assert body["total"] == 1
    assert body["strict_total"] == 1
    assert body["hits"][0]["name"] == "White Heart T-Light Holder"
    assert body["hits"][0]["price"] == "2.95"
    assert "<mark>Heart</mark>" in body["hits"][0]["highlight"]
    assert body["detected"]["max_price"] == "5.00"
    assert body["detected"]["corrections"] == {"hart": "heart"}
    assert body["notice"]
    assert {f["value"] for f in body["facets"]["category"]} == {"candles"}


def test_hits_carry_the_first_image_as_product_lists_do(client, shop) -> None:
    from shopstack.catalog.media import attach_placeholder_images

    red = shop["red"]
    attach_placeholder_images(red)
    hits = {hit["name"]: hit for hit in client.get(URL, {"q": "heart holder"}).json()["hits"]}
    listed = client.get("/api/v1/products", {"category": red.category.slug}).json()["items"]
    assert hits["Red Heart Candle Holder"]["image"] == next(p["image"] for p in listed if p["id"] == red.pk)
    assert hits["Red Heart Candle Holder"]["image"]["srcset"]
    assert hits["White Heart T-Light Holder"]["image"] is None


def test_facet_filters_sort_and_paging(client, shop) -> None:
    body = client.get(URL, {"q": "heart", "facet": "colour:red", "sort": "price"}).json()
    assert [hit["name"] for hit in body["hits"]] == ["Red Heart Candle Holder"]
    body = client.get(URL, {"facet": "category:garden", "limit": 2, "page": 2, "sort": "-price"}).json()
    assert body["total"] == 6
    assert len(body["hits"]) == 2


def test_suggest(client, shop) -> None:
    body = client.get(f"{URL}/suggest", {"q": "heart ho"}).json()
    assert {p["name"] for p in body["products"]} == {"White Heart T-Light Holder", "Red Heart Candle Holder"}
    assert client.get(f"{URL}/suggest", {"q": ""}).json() == {"products": [], "categories": [], "queries": []}
    assert client.get(f"{URL}/suggest", {"q": '"*NEAR('}).status_code == 200


@pytest.mark.parametrize(
    "q", ['"', "*", "NEAR(heart holder)", "-heart", "heart -holder", "(", "AND OR", "'", "£"]
)
def test_query_syntax_characters_give_results_not_errors(client, shop, q) -> None:
    response = client.get(URL, {"q": q})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": "heart", "facet": "nosuchfacet:x"}, "facet"),
        ({"q": "heart", "facet": "colour"}, "facet"),
        ({"q": "heart", "min_price": "10", "max_price": "5"}, "max_price"),
        ({"q": "heart", "min_price": "-1"}, "min_price"),
        ({"q": "heart", "max_price": "lots"}, "max_price"),
        ({"q": "heart", "sort": "random"}, "sort"),
        ({"q": "heart", "page": "0"}, "page"),
        ({"q": "heart", "limit": "1000"}, "limit"),
    ],
)
def test_bad_input_is_a_422_in_the_error_format(client, shop, params, field) -> None:
    response = client.get(URL, params)
    assert response.status_code == 422
    assert field in error_of(response)["fields"]


def test_long_suggest_query_is_422(client, shop) -> None:
    response = client.get(f"{URL}/suggest", {"q": "x" * 10_000})
    assert response.status_code == 422
    assert "q" in error_of(response)["fields"]


def test_openapi_documents_search(client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/search" in paths
    assert "/api/v1/search/suggest" in paths


def test_search_tells_full_matches_from_the_partial_ones_after_them(client, shop) -> None:
    body = client.get(URL, {"q": "red heart holder"}).json()
    names = [hit["name"] for hit in body["hits"]]
    # One product has all three words; the white holder, with two of them, follows it.
    assert names[0] == "Red Heart Candle Holder"
    assert "White Heart T-Light Holder" in names[1:]
    assert body["strict_total"] == 1
    assert body["total"] == len(names) > body["strict_total"]
