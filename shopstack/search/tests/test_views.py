"""The storefront search pages: results, facets, pages, suggest fragment, click link."""

from __future__ import annotations

import pytest

from shopstack.search.models import SearchQuery
from shopstack.testing.factories import make_category, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop() -> dict:
    candles = make_category(name="Candles")
    garden = make_category(name="Garden")
    for index in range(30):
        make_product(name=f"Garden Tool {index}", price="30.00", category=garden)
    return {
        "holder": make_product(
            name="White Heart T-Light Holder", price="2.95", category=candles, attributes={"Colour": "White"}
        ),
        "red": make_product(
            name="Red Heart Candle <Holder>", price="8.00", category=candles, attributes={"Colour": "Red"}
        ),
    }


def test_results_page_without_javascript(client, shop) -> None:
    html = client.get("/search/", {"q": "heart holder"}).content.decode()
    assert "2 products" in html
    assert "<mark>Heart</mark>" in html
    assert "&lt;<mark>Holder</mark>&gt;" in html  # names are escaped, marks are not
    assert "Colour" in html
    assert "?q=heart+holder&amp;colour=red" in html  # a facet is a plain link
    assert 'name="sort"' in html


def test_facet_link_filters_and_did_you_mean(client, shop) -> None:
    html = client.get("/search/", {"q": "heart", "colour": "red"}).content.decode()
    assert "1 product" in html
    html = client.get("/search/", {"q": "hart"}).content.decode()
    assert "Showing results for" in html


def test_facet_in_either_spelling(client, shop) -> None:
    # The shop's attribute is "colour"; a link written with "color" filters the same.
    html = client.get("/search/", {"q": "heart", "color": "red"}).content.decode()
    assert "1 product" in html
    assert "Candle &lt;" in html
    assert "T-Light" not in html


def test_pages(client, shop) -> None:
    html = client.get("/search/", {"q": "garden"}).content.decode()
    assert "Page 1 of 2" in html
    assert 'rel="next"' in html
    assert client.get("/search/", {"q": "garden", "page": "2"}).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": "heart", "min_price": "x"},
        {"q": "heart", "min_price": "9", "max_price": "1"},
        {"q": "a", "page": "-3"},
    ],
)
def test_bad_filters_are_400_with_a_message(client, shop, params) -> None:
    response = client.get("/search/", params)
    assert response.status_code == 400
    assert "Please check the search" in response.content.decode()


@pytest.mark.parametrize("q", ["", '"', "NEAR(*", "x" * 10_000, "-", "AND"])
def test_odd_queries_never_fail(client, shop, q) -> None:
    assert client.get("/search/", {"q": q}).status_code == 200
    assert client.get("/search/suggest/", {"q": q}).status_code == 200


def test_header_has_a_search_form(client, shop) -> None:
    html = client.get("/search/").content.decode()
    assert 'role="search"' in html
    assert 'for="site-search-q"' in html


def test_suggest_fragment(client, shop) -> None:
    html = client.get("/search/suggest/", {"q": "heart ho"}, headers={"HX-Request": "true"}).content.decode()
    assert "White <mark>Heart</mark>" in html
    assert "<html" not in html


def test_suggestions_are_options_the_search_box_can_point_at(client, shop) -> None:
    import re

    html = client.get("/search/suggest/", {"q": "cand"}, headers={"HX-Request": "true"}).content.decode()
    ids = re.findall(r'role="option" id="([^"]+)"', html)
    assert len(ids) >= 2  # the category and a product
    assert len(set(ids)) == len(ids)
    # The links stay out of the tab order: focus stays in the box (search-box.js).
    assert html.count('tabindex="-1"') == len(ids)


def test_result_cards_show_each_products_first_image(client, shop) -> None:
    import re

    from shopstack.catalog.media import attach_placeholder_images

    attach_placeholder_images(shop["red"])
    html = client.get("/search/", {"q": "heart"}).content.decode()
    grid = html.split('class="product-grid search-hits"', 1)[1].split("</ul>", 1)[0]
    cards = grid.split('class="card"')[1:]
    assert len(cards) == 2
    with_image = [card for card in cards if "<img " in card]
    assert len(with_image) == 1
    assert "Red" in with_image[0]
    assert re.search(r'<img [^>]*srcset="[^"]+"[^>]*alt=""', with_image[0])  # the title names it
    assert sum("card__placeholder" in card for card in cards) == 1


def test_folded_facets_say_how_many_are_chosen(client, shop) -> None:
    html = client.get("/search/", {"q": "heart", "colour": "red", "in_stock": "1"}).content.decode()
    assert "(2 chosen)" in html
    assert "chosen)" not in client.get("/search/", {"q": "heart"}).content.decode()


def test_result_links_carry_the_log_token_and_a_click_finds_its_search(client, shop) -> None:
    import re
    from html import unescape

    html = client.get("/search/", {"q": "heart holder"}).content.decode()
    entry = SearchQuery.objects.get()  # written when the response was closed
    links = [unescape(link) for link in re.findall(r'href="(/search/click/\?[^"]+)"', html)]
    assert links
    assert all(f"log={entry.token.hex}" in link for link in links)
    assert client.get(links[1]).status_code == 302
    entry.refresh_from_db()
    assert entry.clicked_position == 2
    assert client.get("/search/click/", {"log": "not-a-token", "product": shop["red"].pk}).status_code == 302


def test_click_is_logged_then_redirects(client, shop) -> None:
    client.get("/search/", {"q": "heart holder"})
    entry = SearchQuery.objects.get()
    response = client.get("/search/click/", {"log": entry.token.hex, "product": shop["red"].pk, "pos": 2})
    assert response.status_code == 302
    assert response["Location"] == f"/p/{shop['red'].slug}/"
    entry.refresh_from_db()
    assert entry.clicked_product_id == shop["red"].pk
    assert entry.clicked_position == 2
    assert client.get("/search/click/", {"product": "nope"}).status_code == 404


def test_a_click_naming_a_search_by_its_row_id_notes_nothing(client, shop) -> None:
    # Row ids count up: anyone could name (and rewrite) another shopper's search by one.
    client.get("/search/", {"q": "heart holder"})
    entry = SearchQuery.objects.get()
    response = client.get("/search/click/", {"log": str(entry.pk), "product": shop["red"].pk, "pos": 1})
    assert response.status_code == 302  # still takes the shopper to the product
    assert response["Location"] == f"/p/{shop['red'].slug}/"
    entry.refresh_from_db()
    assert (entry.clicked_product_id, entry.clicked_position) == (None, None)


@pytest.fixture
def admin_client(client):
    from shopstack.accounts.tests.conftest import add_totp, make_user

    staff = make_user("search-staff@example.com", is_staff=True, is_superuser=True)
    add_totp(staff)  # staff without a second factor are sent to set one up
    client.force_login(staff)
    return client


def test_admin_lists_top_and_zero_result_queries(admin_client, shop) -> None:
    admin_client.get("/search/", {"q": "heart holder"})
    admin_client.get("/search/", {"q": "zzqx"})
    html = admin_client.get("/admin/search/searchquery/").content.decode()
    assert "Top searches" in html
    assert "heart holder" in html
    assert "zzqx" in html
    assert admin_client.get("/admin/search/synonym/add/").status_code == 200
    assert admin_client.get("/admin/search/merchandisingrule/add/").status_code == 200


@pytest.mark.parametrize("log", ["9" * 40, "not-a-token", "x" * 5000, "'; DROP TABLE x; --"])
def test_a_click_with_a_bad_log_reference_still_redirects_and_notes_nothing(client, shop, log) -> None:
    client.get("/search/", {"q": "heart holder"})
    response = client.get("/search/click/", {"log": log, "product": shop["red"].pk})
    assert response.status_code == 302
    assert not SearchQuery.objects.filter(clicked_product__isnull=False).exists()
