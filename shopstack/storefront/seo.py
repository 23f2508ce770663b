"""Absolute URLs and structured data for search engines and link previews."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from shopstack.catalog.media import rendition_url
from shopstack.catalog.models import Product

SCHEMA_IN_STOCK = "https://schema.org/InStock"
SCHEMA_OUT_OF_STOCK = "https://schema.org/OutOfStock"
SHARE_IMAGE_WIDTH = 960


def canonical_url(path: str) -> str:
    """The shop's public address for a path, whatever host the request came in on."""
    return settings.SHOP_BASE_URL.rstrip("/") + path


def absolute(url: str) -> str:
    """Media URLs are relative on the embedded tier and absolute behind a CDN."""
    return url if "://" in url else canonical_url(url)


def product_images(product: Product) -> list[str]:
    return [absolute(rendition_url(media, SHARE_IMAGE_WIDTH)) for media in getattr(product, "images", [])]


def product_json_ld(product: Product, *, url: str, description: str) -> dict[str, object]:
    """schema.org Product with one Offer per variant (or the listing price without variants)."""
    availability = SCHEMA_IN_STOCK if product.in_stock else SCHEMA_OUT_OF_STOCK
    variants = list(product.variants.all())
    offers: list[dict[str, object]] = [
        {
            "@type": "Offer",
            "sku": variant.sku,
            "price": str(variant.price_amount),
            "priceCurrency": variant.currency,
            "availability": availability,
            "url": url,
        }
        for variant in variants
    ] or [
        {
            "@type": "Offer",
            "price": str(product.price_amount),
            "priceCurrency": product.currency,
            "availability": availability,
            "url": url,
        }
    ]
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "sku": variants[0].sku if variants else product.code,
        "productID": product.code,
        "url": url,
        "description": description,
        "image": product_images(product),
        "offers": offers[0] if len(offers) == 1 else offers,
    }
    if product.category_id:
        data["category"] = product.category.name
    return data


def category_url(slug: str) -> str:
    return reverse("storefront:category", args=[slug])


def product_url(slug: str) -> str:
    return reverse("storefront:product", args=[slug])
