"""Numbers read from search URLs are bounded: out of range is a 4xx, never a 500, on the
default engine (tantivy, which counts prices in pence as 64-bit integers) and the tier's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shopstack.core.backends import load_backend
from shopstack.search.models import SearchQuery
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999999"


@pytest.fixture(params=["tier", "tantivy"])
def engine(request: pytest.FixtureRequest, settings: object, tmp_path: Path) -> Iterator[str]:
    if request.param == "tantivy":
        settings.SEARCH = {  # type: ignore[attr-defined]
            "BACKEND": "shopstack.search.backends.tantivy_engine.TantivyBackend",
            "OPTIONS": {"path": str(tmp_path / "tantivy")},
        }
    load_backend.cache_clear()
    yield request.param
    load_backend.cache_clear()


@pytest.fixture
def candle(engine: str):
    return make_product(name="Candle", price="2.00", category=make_category(name="Candles"))


@pytest.mark.parametrize(
    "params",
    [
        {"min_price": "1e17"},
        {"max_price": "1e17"},
        {"min_price": "10000000000"},
        {"max_price": "1e400"},
        {"page": HUGE},
    ],
)
def test_search_page_refuses_out_of_range_numbers_with_400(client, candle, params) -> None:
    response = client.get("/search/", {"q": "candle", **params})
    assert response.status_code == 400
    assert "Please check the search" in response.content.decode()


def test_search_page_accepts_the_largest_price(client, candle) -> None:
    response = client.get("/search/", {"q": "candle", "max_price": "9999999999.99"})
    assert response.status_code == 200
    assert "Candle" in response.content.decode()


@pytest.mark.parametrize("params", [{"min_price": "1e17"}, {"max_price": "10000000000"}])
def test_search_api_refuses_out_of_range_prices_with_422(client, candle, params) -> None:
    response = client.get("/api/v1/search", {"q": "candle", **params})
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == set(params)


@pytest.mark.parametrize(
    "params",
    [{"product": HUGE}, {"product": "0"}, {"product": "-1"}, {"product": "{id}", "pos": HUGE}],
)
def test_click_with_an_out_of_range_number_is_404_and_notes_nothing(client, candle, params) -> None:
    client.get("/search/", {"q": "candle"})
    token = SearchQuery.objects.get().token
    query = {name: value.format(id=candle.pk) for name, value in params.items()}
    response = client.get("/search/click/", {**query, "log": str(token)})
    assert response.status_code == 404
    assert SearchQuery.objects.get().clicked_product_id is None


def test_click_in_range_redirects(client, candle) -> None:
    client.get("/search/", {"q": "candle"})  # indexes the catalog
    response = client.get("/search/click/", {"product": str(candle.pk), "pos": "3"})
    assert response.status_code == 302
