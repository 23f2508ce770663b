"""sitemap.xml: the home page, every published category and product, at the shop's address."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sites.requests import RequestSite
from django.db.models import QuerySet
from django.urls import reverse

from shopstack.catalog import selectors
from shopstack.catalog.models import Category, Product


class ShopSitemap(Sitemap):
    """URLs on SHOP_BASE_URL rather than whichever host name the crawler used."""

    def get_protocol(self, protocol: str | None = None) -> str:
        return urlsplit(settings.SHOP_BASE_URL).scheme or super().get_protocol(protocol)

    def get_domain(self, site: RequestSite | None = None) -> str:
        base = urlsplit(settings.SHOP_BASE_URL)
        return base.netloc + base.path.rstrip("/") if base.netloc else super().get_domain(site)


class HomeSitemap(ShopSitemap):
    priority = 1.0

    def items(self) -> list[str]:
        return ["storefront:home"]

    def location(self, item: str) -> str:
        return reverse(item)


class CategorySitemap(ShopSitemap):
    priority = 0.7

    def items(self) -> QuerySet[Category]:
        return selectors.sitemap_categories()

    def location(self, item: Category) -> str:
        return reverse("storefront:category", args=[item.slug])

    def lastmod(self, item: Category) -> datetime:
        return item.updated_at


class ProductSitemap(ShopSitemap):
    priority = 0.5

    def items(self) -> QuerySet[Product]:
        return selectors.sitemap_products()

    def location(self, item: Product) -> str:
        return reverse("storefront:product", args=[item.slug])

    def lastmod(self, item: Product) -> datetime:
        return item.updated_at


SITEMAPS: dict[str, type[Sitemap]] = {
    "home": HomeSitemap,
    "categories": CategorySitemap,
    "products": ProductSitemap,
}
