from decimal import Decimal

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.utils.http import http_date

from shopstack.catalog.services import products_change_price, variant_set_price
from shopstack.core.page_cache import page_cache
from shopstack.inventory.models import Warehouse
from shopstack.inventory.services import stock_set_quantity

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(shop):
    return {
        "home": "/",
        "category": f"/c/{shop['top'].slug}/?sort=price",
        "product": f"/p/{shop['white'].slug}/",
    }


@pytest.mark.parametrize("page", ["home", "category", "product"])
def test_answers_304_to_if_none_match(client, urls, page):
    first = client.get(urls[page])
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"')
    assert first["Last-Modified"]
    again = client.get(urls[page], headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert client.get(urls[page], headers={"If-None-Match": '"something-else"'}).status_code == 200


@pytest.mark.parametrize("page", ["home", "category", "product"])
def test_answers_304_to_if_modified_since(client, urls, page):
    first = client.get(urls[page])
    assert client.get(urls[page], headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 304
    assert client.get(urls[page], headers={"If-Modified-Since": http_date(0)}).status_code == 200


def test_etag_depends_on_the_query_string(client, shop):
    base = f"/c/{shop['top'].slug}/"
    assert client.get(base + "?sort=price")["ETag"] != client.get(base + "?sort=-price")["ETag"]


def test_price_change_renews_product_page_and_etag(client, shop):
    product = shop["white"]
    url = f"/p/{product.slug}/"
    first = client.get(url)
    assert "£2.95" in first.content.decode()
    assert client.get(url)["X-Page-Cache"] == "hit"

    variant_set_price(actor=None, variant=product.variants.get(), price=Decimal("3.45"))

    second = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert second["X-Page-Cache"] == "miss"
    html = second.content.decode()
    assert "£3.45" in html
    assert "£2.95" not in html


def test_bulk_price_change_renews_listing_and_home(client, shop):
    category_url = f"/c/{shop['leaf'].slug}/"
    before_listing, before_home = client.get(category_url), client.get("/")
    products_change_price(actor=None, product_ids=[shop["red"].pk], percent=Decimal("100"))
    after_listing = client.get(category_url, headers={"If-None-Match": before_listing["ETag"]})
    after_home = client.get("/", headers={"If-None-Match": before_home["ETag"]})
    assert after_listing.status_code == after_home.status_code == 200
    assert "£2.50" in after_listing.content.decode()
    assert "£2.50" in after_home.content.decode()


def test_stock_change_renews_product_page(client, shop):
    product = shop["red"]
    url = f"/p/{product.slug}/"
    first = client.get(url)
    assert "In stock" in first.content.decode()

    main = Warehouse.objects.get(slug="main")
    stock_set_quantity(actor=None, variant=product.variants.get(), warehouse=main, quantity=0)

    second = client.get(url, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 200
    assert second["ETag"] != first["ETag"]
    assert "Out of stock" in second.content.decode()


def test_cached_product_page_is_served_without_loading_the_product(
    client, shop, django_assert_max_num_queries
):
    url = f"/p/{shop['white'].slug}/"
    assert client.get(url)["X-Page-Cache"] == "miss"
    # One raw query for the product's version, one for the categories' (the navigation).
    with django_assert_max_num_queries(2) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "hit"
    assert "£2.95" in response.content.decode()
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "catalog_productvariant" not in tables
    assert "catalog_productmedia" not in tables
    assert "django_session" not in tables


def test_cached_listing_and_home_need_one_query(client, shop, django_assert_max_num_queries):
    for url in ("/", f"/c/{shop['top'].slug}/?sort=price&colour=red"):
        client.get(url)
        with django_assert_max_num_queries(1):
            assert client.get(url)["X-Page-Cache"] == "hit"


def test_not_modified_needs_only_the_version_query(client, shop, django_assert_max_num_queries):
    url = f"/p/{shop['white'].slug}/"
    etag = client.get(url)["ETag"]
    with django_assert_max_num_queries(2):
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_errors_are_not_cached(client, shop):
    url = f"/c/{shop['top'].slug}/?min_price=-1"
    assert client.get(url).status_code == 400
    assert client.get(url).status_code == 400
    assert "ETag" not in client.get(url)


def test_unpublishing_a_cached_product_makes_it_404(client, shop):
    from shopstack.catalog.services import products_set_published

    url = f"/p/{shop['white'].slug}/"
    client.get(url)
    products_set_published(product_ids=[shop["white"].pk], published=False)
    assert client.get(url).status_code == 404


def stored_pages() -> set[str]:
    """Keys of the rendered pages the cache holds now (any test's)."""
    store = page_cache()
    if isinstance(store, LocMemCache):
        keys = [str(key) for key in store._cache]
    else:  # Redis
        keys = [key.decode() for key in store._cache.get_client().keys("*storefront:page:*")]
    return {key for key in keys if "storefront:page:" in key}


def test_tracking_parameters_share_the_page_s_one_cache_entry_and_etag(client, shop):
    url = f"/c/{shop['top'].slug}/"
    before = stored_pages()
    first = client.get(url, {"sort": "price"})
    assert first["X-Page-Cache"] == "miss"
    # 300 unique links, as a campaign or a crawler makes them: one entry, one ETag.
    for number in range(300):
        response = client.get(
            url, {"utm_campaign": f"c{number}", "sort": "price", "gclid": number, "made_up": number}
        )
        assert response.status_code == 200
        assert response["X-Page-Cache"] == "hit"
        assert response["ETag"] == first["ETag"]
    assert len(stored_pages() - before) == 1


@pytest.mark.parametrize("page", ["home", "product"])
def test_no_parameter_changes_the_home_or_a_product_page(client, urls, page):
    first = client.get(urls[page])
    again = client.get(urls[page] + "?utm_source=mail&fbclid=abc&page=3")
    assert again["X-Page-Cache"] == "hit"
    assert again["ETag"] == first["ETag"]


def test_parameters_that_change_the_listing_keep_their_own_entries_in_any_order(client, shop):
    url = f"/c/{shop['top'].slug}/"
    unfiltered = client.get(url)
    red = client.get(url, {"colour": "red", "sort": "price"})
    assert red["X-Page-Cache"] == "miss"
    assert red["ETag"] != unfiltered["ETag"]
    assert "White candle" in unfiltered.content.decode()
    assert "White candle" not in red.content.decode()
    same = client.get(url + "?utm_medium=x&sort=price&colour=red")  # other order, a tracker
    assert same["X-Page-Cache"] == "hit"
    assert same["ETag"] == red["ETag"]
    first_page = client.get(url, {"sort": "price", "page": "1"})
    assert first_page["ETag"] != client.get(url, {"sort": "price"})["ETag"]
    assert client.get(url, {"in_stock": "1"})["X-Page-Cache"] == "miss"


def test_made_up_filter_values_are_answered_but_not_kept(client, shop):
    url = f"/c/{shop['top'].slug}/"
    for number in range(3):
        response = client.get(url, {"colour": f"nope{number}"})
        assert response.status_code == 200
        assert "White candle" in response.content.decode()  # the unknown value is ignored
        assert "X-Page-Cache" not in response
        assert "X-Page-Cache" not in client.get(url, {"colour": f"nope{number}"})
    assert client.get(url, {"colour": ["red", "nope"]}).get("X-Page-Cache") is None
    assert client.get(url, {"colour": "red"})["X-Page-Cache"] == "miss"
