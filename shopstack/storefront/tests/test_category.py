import re

import pytest
from django.contrib.staticfiles import finders

from shopstack.storefront.views import catalog
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db


def listed(response) -> list[str]:
    results = response.content.decode().split('id="results"', 1)[1]
    return re.findall(r'<span class="card__title">([^<]+)</span>', results)


def test_lists_products_of_the_category_and_its_descendants(client, shop):
    response = client.get(f"/c/{shop['top'].slug}/")
    assert response.status_code == 200
    assert listed(response) == ["White candle", "Bird ornament", "Red candle"]  # best selling first
    assert listed(client.get(f"/c/{shop['leaf'].slug}/")) == ["White candle", "Red candle"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=price", ["Red candle", "White candle", "Bird ornament"]),
        ("sort=-price", ["Bird ornament", "White candle", "Red candle"]),
        ("sort=best_selling", ["White candle", "Bird ornament", "Red candle"]),
        ("min_price=2&max_price=4", ["White candle"]),
        ("in_stock=on&sort=price", ["Red candle", "White candle"]),
        ("colour=red", ["Red candle"]),
        ("colour=red&colour=white&sort=price", ["Red candle", "White candle"]),
        ("colour=purple", ["White candle", "Bird ornament", "Red candle"]),  # unknown values are ignored
    ],
)
def test_filters_and_sorts(client, shop, query, expected):
    response = client.get(f"/c/{shop['top'].slug}/?{query}")
    assert response.status_code == 200
    assert listed(response) == expected


def test_newest_sort(client, shop):
    make_product(name="Brand new candle", category=shop["leaf"])
    assert listed(client.get(f"/c/{shop['top'].slug}/?sort=newest"))[0] == "Brand new candle"


def test_filter_form_keeps_choices_and_offers_attribute_checkboxes(client, shop):
    html = client.get(f"/c/{shop['top'].slug}/?colour=red&in_stock=on&min_price=1").content.decode()
    assert re.search(r'<input type="checkbox" name="colour" value="red"[^>]*checked', html)
    assert re.search(r'<input type="checkbox" name="in_stock"[^>]*checked', html)
    assert 'name="min_price" value="1"' in html
    assert '<meta name="robots" content="noindex, follow">' in html
    assert '<label for="id_min_price">Minimum price</label>' in html


def test_pagination(client, shop, monkeypatch):
    monkeypatch.setattr(catalog, "PAGE_SIZE", 2)
    first = client.get(f"/c/{shop['top'].slug}/?sort=price")
    assert listed(first) == ["Red candle", "White candle"]
    assert 'href="?sort=price&amp;page=2"' in first.content.decode()
    second = client.get(f"/c/{shop['top'].slug}/?sort=price&page=2")
    assert listed(second) == ["Bird ornament"]
    assert '<link rel="canonical" href="http://127.0.0.1:8000/c/home-and-decor/?page=2">' in (
        second.content.decode()
    )
    assert client.get(f"/c/{shop['top'].slug}/?page=3").status_code == 404
    assert client.get(f"/c/{shop['top'].slug}/?page=0").status_code == 404
    assert client.get(f"/c/{shop['top'].slug}/?page=two").status_code == 404


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("min_price=-1", "min_price", "greater than or equal to 0"),
        ("max_price=abc", "max_price", "Enter a number"),
        ("min_price=NaN", "min_price", "Enter a number"),
        ("min_price=1e99", "min_price", "no more than 12 digits"),
        ("min_price=10&max_price=5", "max_price", "Must not be less than the minimum price"),
        ("sort=random", "sort", "Select a valid choice"),
    ],
)
def test_bad_filter_input_is_a_400_with_field_messages(client, shop, query, field, message):
    response = client.get(f"/c/{shop['top'].slug}/?{query}")
    assert response.status_code == 400
    html = response.content.decode()
    assert f'aria-describedby="id_{field}_error"' in html
    error = html.split(f'id="id_{field}_error"', 1)[1].split("</ul>", 1)[0]
    assert message in error
    assert 'class="form-errors" role="alert"' in html
    assert 'class="filters"' in html  # the form is there to fix it


def test_unknown_category_is_404(client, shop):
    assert client.get("/c/nothing-here/").status_code == 404


def test_htmx_request_gets_only_the_results(client, shop):
    response = client.get(f"/c/{shop['top'].slug}/?sort=price", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html
    assert listed(response) == ["Red candle", "White candle", "Bird ornament"]
    assert "HX-Request" in response["Vary"]
    # The same URL without htmx is the whole page, never the cached fragment.
    assert "<html" in client.get(f"/c/{shop['top'].slug}/?sort=price").content.decode()


def test_htmx_bad_input_answers_400_with_the_messages_in_the_results(client, shop):
    response = client.get(f"/c/{shop['top'].slug}/?min_price=-5", headers={"HX-Request": "true"})
    assert response.status_code == 400
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "Minimum price: Ensure this value is greater than or equal to 0." in html


def test_page_loads_htmx_from_static_files(client, shop):
    html = client.get(f"/c/{shop['top'].slug}/").content.decode()
    assert '<script src="/static/shopstack/vendor/htmx.min.js" defer></script>' in html
    found = finders.find("shopstack/vendor/htmx.min.js")
    assert found is not None
    assert finders.find("shopstack/vendor/htmx.LICENSE.txt") is not None
