import json
import re

import pytest
from django.template import loader
from django.test import Client

from shopstack.catalog.media import attach_placeholder_images
from shopstack.catalog.services import products_set_published
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db


def names_in(html: str, section_id: str) -> list[str]:
    section = html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<span class="card__title">([^<]+)</span>', section)


def test_home_lists_featured_and_best_sellers_in_order(client, shop):
    make_product(name="Featured vase", price="9.00", is_featured=True)
    make_product(name="Hidden featured", published=False, is_featured=True, units_sold=9999)
    html = client.get("/").content.decode()
    assert names_in(html, "featured-heading") == ["Featured vase"]
    assert names_in(html, "best-heading") == ["White candle", "Bird ornament", "Red candle", "Spade"]
    assert 'href="/c/candles/"' in html  # category tiles include children
    assert "Hidden featured" not in html


def test_product_page_shows_price_variants_availability_and_breadcrumbs(client, shop):
    product = shop["bird"]
    html = client.get(f"/p/{product.slug}/").content.decode()
    assert "<h1>Bird ornament</h1>" in html
    assert "£4.50" in html
    assert product.code in html  # the variant's SKU
    assert "Out of stock" in html
    crumbs = html.split('aria-label="Breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/c/home-and-decor/"' in crumbs
    assert 'aria-current="page">Bird ornament' in crumbs


def test_product_page_images_have_srcset_sizes_dimensions_and_alt(client, shop):
    attach_placeholder_images(shop["white"])
    html = client.get(f"/p/{shop['white'].slug}/").content.decode()
    img = re.search(r"<main.*?(<img [^>]+>)", html, re.S).group(1)
    for attribute in ("srcset=", "sizes=", 'width="960"', 'height="960"', 'alt="White candle"'):
        assert attribute in img


def test_breadcrumbs_follow_ancestors_of_the_primary_category(client, shop):
    html = client.get(f"/p/{shop['white'].slug}/").content.decode()
    crumbs = html.split('aria-label="Breadcrumb"', 1)[1].split("</nav>", 1)[0]
    assert crumbs.index("/c/home-and-decor/") < crumbs.index("/c/candles/")


def test_json_ld_parses_and_has_the_offer(client, shop):
    product = make_product(name='Glass </script><script>alert("x")</script> pot', price="7.50")
    html = client.get(f"/p/{product.slug}/").content.decode()
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert data["@type"] == "Product"
    assert data["name"] == product.name
    assert data["sku"] == product.code
    assert data["offers"]["price"] == "7.50"
    assert data["offers"]["priceCurrency"] == "GBP"
    assert data["offers"]["availability"] == "https://schema.org/InStock"
    assert "<script>alert" not in html


def test_canonical_opengraph_and_seo_fallbacks(client, shop, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    product = make_product(name="Tea towel", description="Linen, printed in Leeds.")
    html = client.get(f"/p/{product.slug}/?utm_source=x").content.decode()
    url = f"https://shop.example/p/{product.slug}/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="Tea towel">' in html
    assert '<meta name="description" content="Linen, printed in Leeds.">' in html
    assert "<title>Tea towel ·" in html

    seo = make_product(name="Mug", seo_title="Big mug | gifts", seo_description="A mug for tea.")
    html = client.get(f"/p/{seo.slug}/").content.decode()
    assert "<title>Big mug | gifts ·" in html
    assert '<meta property="og:description" content="A mug for tea.">' in html


def test_unknown_and_unpublished_products_are_404(client, shop):
    assert client.get("/p/no-such-thing/").status_code == 404
    products_set_published(product_ids=[shop["red"].pk], published=False)
    response = client.get(f"/p/{shop['red'].slug}/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b'class="site-header"' in response.content  # the styled page, not a bare message


def test_sitemap_lists_published_products_and_categories(client, shop, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    products_set_published(product_ids=[shop["spade"].pk], published=False)
    xml = client.get("/sitemap.xml").content.decode()
    assert f"<loc>https://shop.example/p/{shop['white'].slug}/</loc>" in xml
    assert f"<loc>https://shop.example/c/{shop['leaf'].slug}/</loc>" in xml
    assert "<loc>https://shop.example/</loc>" in xml
    assert shop["spade"].slug not in xml


def test_robots_txt(client, settings):
    settings.SHOP_BASE_URL = "https://shop.example"
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    for path in ("/admin/", "/account/", "/accounts/", "/api/"):
        assert f"Disallow: {path}\n" in text
    assert "Sitemap: https://shop.example/sitemap.xml" in text


def test_500_page_renders_without_request_context():
    html = loader.render_to_string("500.html", {})
    assert "Something went wrong" in html


def test_server_error_handler_answers_500(rf):
    from shopstack.storefront.views.errors import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content


def test_pages_are_the_same_for_every_visitor(shop, django_user_model):
    user = django_user_model.objects.create_user(email="ann@example.com", password="a-long-password-1")
    anonymous, signed_in = Client(), Client()
    signed_in.force_login(user)
    # The product page too: its add-to-cart form has no token of its own (see storefront.caching).
    for url in ("/", f"/c/{shop['leaf'].slug}/", f"/p/{shop['white'].slug}/"):
        first = anonymous.get(url)
        second = signed_in.get(url)
        assert first.content == second.content
        assert b"ann@example.com" not in second.content
        assert b"csrfmiddlewaretoken" not in first.content
        assert "Cookie" not in first.get("Vary", "")
        assert "Cookie" not in second.get("Vary", "")
