"""Shapes of the API's answers, as published in the OpenAPI schema.

Endpoints build these answers as plain dicts and cache the JSON bytes (see
`catalog.py`); the test suite validates real answers against these schemas so the two
cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime

from ninja import Schema
from pydantic import Field


class ErrorDetail(Schema):
    code: str = Field(description="Stable, machine-readable code, e.g. `not_found`, `validation_error`.")
    message: str = Field(description="A sentence for people.")
    fields: dict[str, list[str]] = Field(
        description="Problems with particular request parameters, by parameter name (may be empty)."
    )


class ErrorOut(Schema):
    """Every 4xx answer of the API has this shape."""

    error: ErrorDetail


class CategoryRef(Schema):
    id: int
    name: str
    slug: str


class CategoryNode(Schema):
    """A published category and its published subcategories, to any depth."""

    id: int
    name: str
    slug: str
    parent: int | None = Field(description="Id of the parent category; null for a top-level one.")
    children: list[CategoryNode]


class CategoryDetail(Schema):
    id: int
    name: str
    slug: str
    description: str
    parent: CategoryRef | None
    breadcrumbs: list[CategoryRef] = Field(
        description="From the top-level category down to this one's parent."
    )
    children: list[CategoryRef]


class ListingImage(Schema):
    url: str = Field(description="A rendition about 480 px wide.")
    srcset: str = Field(description="Every stored rendition, for `<img srcset>`.")
    alt: str


class ProductListItem(Schema):
    id: int
    code: str
    slug: str
    name: str
    price: str = Field(description='Lowest variant price, a decimal as text (e.g. `"2.95"`).')
    currency: str = Field(description="ISO 4217 code.")
    in_stock: bool
    is_featured: bool
    category: int = Field(description="Id of the primary category.")
    image: ListingImage | None


class ProductPage(Schema):
    items: list[ProductListItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same sort) for the next page; null on the last page."
    )


class AttributeValueOut(Schema):
    slug: str
    name: str


class AttributeOut(Schema):
    slug: str
    name: str
    values: list[AttributeValueOut]


class Rendition(Schema):
    width: int
    url: str


class ImageOut(Schema):
    url: str = Field(description="The largest rendition.")
    alt: str
    renditions: list[Rendition] = Field(description="Every stored width, smallest first.")
    srcset: str


class VariantOut(Schema):
    id: int
    sku: str
    name: str
    price: str = Field(description='A decimal as text, e.g. `"2.95"`.')
    currency: str
    weight_grams: int | None
    available: int = Field(description="Units that can be ordered now, over all active warehouses.")
    in_stock: bool
    attributes: list[AttributeOut]


class ProductDetail(Schema):
    id: int
    code: str
    slug: str
    name: str
    description: str
    price: str = Field(description="Lowest variant price, a decimal as text.")
    currency: str
    in_stock: bool
    is_featured: bool
    published_at: datetime | None
    updated_at: datetime
    category: CategoryRef = Field(description="The primary category.")
    breadcrumbs: list[CategoryRef] = Field(description="Top-level category down to the primary category.")
    categories: list[CategoryRef] = Field(description="Every published category the product is listed in.")
    attributes: list[AttributeOut]
    variants: list[VariantOut]
    images: list[ImageOut]


class MeOut(Schema):
    id: int
    email: str
