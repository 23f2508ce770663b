from decimal import Decimal

import pytest

from shopstack.api.tests.conftest import error_of, many_products
from shopstack.catalog.selectors import SORTS
from shopstack.testing.factories import make_category

URL = "/api/v1/products"


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def walk(client, params: dict, limit: int) -> list[int]:
    seen, cursor, pages = [], None, 0
    while True:
        query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(URL, query)
        seen += ids(response)
        cursor = response.json()["next_cursor"]
        pages += 1
        assert pages < 100
        if cursor is None:
            return seen


def test_list_shows_published_products_with_prices_as_text(client, catalog):
    response = client.get(URL)
    items = {item["id"]: item for item in response.json()["items"]}
    assert catalog["hidden"].pk not in items
    assert set(items) == {catalog[k].pk for k in ("red_mug", "blue_mug", "teapot", "trowel")}
    mug = items[catalog["red_mug"].pk]
    assert mug["price"] == "2.95"
    assert mug["currency"] == "GBP"
    assert mug["category"] == catalog["mugs"].pk
    assert response.json()["next_cursor"] is None


def test_category_filter_includes_subcategories(client, catalog):
    assert set(ids(client.get(URL, {"category": "kitchen"}))) == {
        catalog["red_mug"].pk,
        catalog["blue_mug"].pk,
        catalog["teapot"].pk,
    }
    assert ids(client.get(URL, {"category": "garden"})) == [catalog["trowel"].pk]


def test_unknown_category_is_404(client, catalog):
    response = client.get(URL, {"category": "nowhere"})
    assert response.status_code == 404
    assert error_of(response)["fields"] == {"category": ["No published category has this slug."]}


def test_price_stock_and_attribute_filters(client, catalog):
    assert set(ids(client.get(URL, {"min_price": "3", "max_price": "12.50"}))) == {
        catalog["teapot"].pk,
        catalog["trowel"].pk,
    }
    assert catalog["trowel"].pk not in ids(client.get(URL, {"in_stock": "true"}))
    assert ids(client.get(URL, {"in_stock": "false"})) == [catalog["trowel"].pk]
    assert set(ids(client.get(URL, {"attr": "colour:red"}))) == {catalog["red_mug"].pk, catalog["teapot"].pk}
    assert set(ids(client.get(URL, {"attr": "colour:red,blue"}))) == {
        catalog["red_mug"].pk,
        catalog["blue_mug"].pk,
        catalog["teapot"].pk,
    }
    # Repeating an attribute adds values (OR); different attributes must all match (AND).
    assert set(ids(client.get(URL, {"attr": ["colour:nope", "colour:red"]}))) == {
        catalog["red_mug"].pk,
        catalog["teapot"].pk,
    }
    assert ids(client.get(URL, {"attr": ["colour:red", "size:large"]})) == []


def test_bad_price_is_422_with_field_message(client, catalog):
    response = client.get(URL, {"min_price": "-1"})
    assert response.status_code == 422
    assert error_of(response)["fields"] == {"min_price": ["Must be a number, zero or more."]}

    response = client.get(URL, {"min_price": "5", "max_price": "2"})
    assert response.status_code == 422
    assert "max_price" in error_of(response)["fields"]

    response = client.get(URL, {"max_price": "cheap"})
    assert response.status_code == 422
    assert "max_price" in error_of(response)["fields"]


def test_bad_attribute_filter_is_422(client, catalog):
    response = client.get(URL, {"attr": "colour"})
    assert response.status_code == 422
    assert "attr" in error_of(response)["fields"]


def test_unknown_sort_is_4xx(client, catalog):
    response = client.get(URL, {"sort": "cheapest"})
    assert response.status_code == 422
    assert "sort" in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price", ["red_mug", "blue_mug", "trowel", "teapot"]),
        ("-price", ["teapot", "trowel", "blue_mug", "red_mug"]),
        ("best_selling", ["teapot", "red_mug", "blue_mug", "trowel"]),
        ("name", ["red_mug", "blue_mug", "teapot", "trowel"]),
        ("newest", ["trowel", "teapot", "blue_mug", "red_mug"]),
    ],
)
def test_sort_orders(client, catalog, sort, expected):
    assert ids(client.get(URL, {"sort": sort})) == [catalog[key].pk for key in expected]


@pytest.mark.parametrize("sort", list(SORTS))
def test_cursor_walk_visits_every_product_once(client, db, sort):
    products = many_products(23)
    expected = ids(client.get(URL, {"sort": sort, "limit": 100}))
    assert len(expected) == 23
    for limit in (1, 4, 7):
        assert walk(client, {"sort": sort}, limit) == expected
    assert {p.pk for p in products} == set(expected)


@pytest.mark.parametrize("sort", list(SORTS))
def test_cursor_walk_when_every_sort_key_ties(client, db, sort):
    many_products(11, price="5.00", name="Same")
    expected = ids(client.get(URL, {"sort": sort, "limit": 100}))
    assert len(set(expected)) == 11
    assert walk(client, {"sort": sort}, 3) == expected


def test_cursor_walk_with_filters(client, catalog):
    walked = walk(client, {"category": "kitchen", "sort": "price"}, 1)
    assert walked == [catalog["red_mug"].pk, catalog["blue_mug"].pk, catalog["teapot"].pk]


def test_cursor_walk_with_missing_publication_dates(client, db):
    products = many_products(6)
    type(products[0]).objects.filter(pk__in=[products[1].pk, products[4].pk]).update(published_at=None)
    expected = ids(client.get(URL, {"sort": "newest", "limit": 100}))
    assert expected[-2:] == [products[4].pk, products[1].pk]
    assert walk(client, {"sort": "newest"}, 2) == expected


def test_limit_above_maximum_is_4xx_with_field_message(client, catalog):
    response = client.get(URL, {"limit": 101})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["limit"]
    assert client.get(URL, {"limit": 0}).status_code == 422
    assert client.get(URL, {"limit": 100}).status_code == 200


@pytest.mark.parametrize("cursor", ["garbage", "eyJzIjoicHJpY2UifQ", "a:b:c", "x" * 999])
def test_garbage_cursor_is_400(client, catalog, cursor):
    response = client.get(URL, {"cursor": cursor})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_cursor"
    assert "cursor" in error["fields"]


@pytest.mark.parametrize("cursor", ["%00", "\x00", "a b", "x" * 1001])
def test_cursor_with_characters_no_cursor_has_is_422(client, catalog, cursor):
    response = client.get(URL, {"cursor": cursor})
    assert response.status_code == 422
    assert "cursor" in error_of(response)["fields"]


def test_tampered_cursor_is_400(client, db):
    many_products(3)
    cursor = client.get(URL, {"limit": 1}).json()["next_cursor"]
    payload, signature = cursor.rsplit(":", 1)
    response = client.get(URL, {"limit": 1, "cursor": payload[:-2] + "AA:" + signature})
    assert response.status_code == 400


def test_cursor_of_another_sort_is_400(client, db):
    many_products(3)
    cursor = client.get(URL, {"limit": 1, "sort": "price"}).json()["next_cursor"]
    response = client.get(URL, {"limit": 1, "sort": "name", "cursor": cursor})
    assert response.status_code == 400
    assert "sort" in error_of(response)["message"]


def test_product_detail(client, catalog):
    product = catalog["red_mug"]
    response = client.get(f"{URL}/{product.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == product.pk
    assert body["slug"] == product.slug
    assert body["price"] == "2.95"
    assert body["currency"] == "GBP"
    assert body["category"]["slug"] == "mugs"
    assert [c["slug"] for c in body["breadcrumbs"]] == ["home", "kitchen", "mugs"]
    assert [c["slug"] for c in body["categories"]] == ["mugs"]
    red = {"slug": "red", "name": "Red"}
    assert body["attributes"] == [{"slug": "colour", "name": "Colour", "values": [red]}]
    [variant] = body["variants"]
    assert variant["sku"] == product.code
    assert variant["price"] == "2.95"
    assert variant["available"] == 10
    assert variant["in_stock"] is True
    assert body["images"] == []
    assert client.get(f"{URL}/by-slug/{product.slug}").json() == body


def test_product_detail_images(client, catalog):
    from shopstack.catalog.media import attach_placeholder_images
    from shopstack.catalog.services import product_touch

    product = catalog["teapot"]
    attach_placeholder_images(product, widths=(240, 480))
    product_touch(product_ids=[product.pk])
    [image] = client.get(f"{URL}/{product.pk}").json()["images"]
    assert [r["width"] for r in image["renditions"]] == [240, 480]
    assert image["url"] == image["renditions"][-1]["url"]
    assert image["alt"] == "Teapot"
    listed = {i["id"]: i for i in client.get(URL).json()["items"]}
    assert listed[product.pk]["image"]["url"].endswith("-w480.png")


def test_unknown_and_unpublished_products_are_404_json(client, catalog):
    for path in (
        f"{URL}/999999",
        f"{URL}/{catalog['hidden'].pk}",
        f"{URL}/by-slug/nothing-here",
        f"{URL}/by-slug/{catalog['hidden'].slug}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("bad", ["abc", "1.5", "-3", "0", "99999999999999999999999"])
def test_non_integer_or_out_of_range_id_is_422_json(client, catalog, bad):
    response = client.get(f"{URL}/{bad}")
    assert response.status_code == 422
    assert "product_id" in error_of(response)["fields"]


def test_categories_tree(client, catalog):
    make_category(name="Unlisted", is_published=False)
    tree = client.get("/api/v1/categories").json()
    assert [(c["slug"], c["parent"]) for c in tree] == [("garden", None), ("home", None)]
    home = tree[1]
    assert home["children"][0]["slug"] == "kitchen"
    assert home["children"][0]["parent"] == catalog["home"].pk
    assert home["children"][0]["children"][0]["slug"] == "mugs"


def test_category_detail(client, catalog):
    body = client.get("/api/v1/categories/kitchen").json()
    assert body["parent"]["slug"] == "home"
    assert [c["slug"] for c in body["breadcrumbs"]] == ["home"]
    assert [c["slug"] for c in body["children"]] == ["mugs"]
    response = client.get("/api/v1/categories/nope")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_prices_keep_two_places(client, db):
    [product] = many_products(1, price="3")
    assert client.get(f"{URL}/{product.pk}").json()["price"] == "3.00"
    assert Decimal(client.get(URL).json()["items"][0]["price"]) == Decimal(3)


def test_product_detail_counts_units_a_checkout_reserved_since_the_body_was_cached(client, catalog):
    from shopstack.catalog.models import Product
    from shopstack.inventory.services import stock_reserve

    product = catalog["red_mug"]
    path = f"{URL}/{product.pk}"
    first = client.get(path)
    [variant] = first.json()["variants"]
    assert variant["available"] == 10
    updated_at = Product.objects.get(pk=product.pk).updated_at

    stock_reserve(ref="checkout:api-test", lines=[(variant["id"], 3)])
    # A reservation does not move the product's version: only the count may change.
    assert Product.objects.get(pk=product.pk).updated_at == updated_at
    again = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 200
    assert again["ETag"] != first["ETag"]
    assert again.json()["variants"][0]["available"] == 7
    assert client.get(f"{URL}/by-slug/{product.slug}").json()["variants"][0]["available"] == 7

    stock_reserve(ref="checkout:api-test-2", lines=[(variant["id"], 7)])
    [sold_out] = client.get(path).json()["variants"]
    assert (sold_out["available"], sold_out["in_stock"]) == (0, False)


def test_list_answers_are_keyed_by_what_they_list_not_the_query_string(client, catalog):
    first = client.get("/api/v1/products", {"sort": "price", "min_price": "2.50", "limit": 5})
    assert first.status_code == 200
    etags = {
        client.get(
            "/api/v1/products",
            {
                "utm_campaign": f"c{number}",
                "made_up": number,
                "sort": "price",
                "min_price": "2.5",
                "limit": 5,
            },
        )["ETag"]
        for number in range(300)
    }
    assert etags == {first["ETag"]}  # one answer, one cache entry (its key is the ETag)
    reordered = client.get("/api/v1/products?limit=5&min_price=2.500&sort=price")
    assert reordered["ETag"] == first["ETag"]
    assert (
        client.get("/api/v1/products", {"sort": "price", "min_price": "2.50", "limit": 6})["ETag"]
        != first["ETag"]
    )
    assert (
        client.get("/api/v1/products", {"sort": "-price", "min_price": "2.50", "limit": 5})["ETag"]
        != first["ETag"]
    )
