"""What a simulation starts from: orders with their lines, and the catalogue, as columns.

Columns of NumPy arrays rather than objects, so that a million orders fit and every step
of the simulation works on whole columns. `history_build` makes one from plain records (the
shop's database, tests); `synthetic` makes one directly at benchmark scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from shopstack.analytics.schema import utc
from shopstack.analytics.store.columns import micros


@dataclass(frozen=True)
class Catalog:
    product_id: np.ndarray  # int64
    variant_id: np.ndarray  # int64, -1 for a product without a variant
    category: np.ndarray  # int32: index into the category columns
    price_minor: np.ndarray  # int64
    names: list[str]
    slugs: list[str]
    category_id: np.ndarray  # int64
    category_names: list[str]
    category_slugs: list[str]

    @property
    def size(self) -> int:
        return len(self.product_id)


@dataclass(frozen=True)
class Orders:
    """Orders sorted by (placed_at, order_id); lines in order of their order (CSR)."""

    order_id: np.ndarray  # int64
    customer_id: np.ndarray  # int64, -1 for a guest
    placed_at: np.ndarray  # int64 microseconds since the epoch, UTC
    country: np.ndarray  # int32: index into `countries`
    countries: list[str]  # ISO 3166-1 alpha-2, "" for unknown
    value_minor: np.ndarray  # int64
    currency: np.ndarray  # int32: index into `currencies`
    currencies: list[str]
    line_start: np.ndarray  # int64, len(orders) + 1: lines of order i are [start[i], start[i + 1])
    line_product: np.ndarray  # int32: index into the catalogue
    line_quantity: np.ndarray  # int32
    line_value_minor: np.ndarray  # int64: the line's total

    @property
    def size(self) -> int:
        return len(self.order_id)

    @property
    def line_count(self) -> np.ndarray:
        return np.diff(self.line_start)


@dataclass(frozen=True)
class History:
    orders: Orders
    catalog: Catalog


@dataclass(frozen=True)
class CategoryRecord:
    category_id: int
    name: str
    slug: str


@dataclass(frozen=True)
class ProductRecord:
    product_id: int
    variant_id: int | None
    category_id: int
    name: str
    slug: str
    price_minor: int


@dataclass(frozen=True)
class LineRecord:
    product_id: int
    quantity: int
    value_minor: int


@dataclass(frozen=True)
class OrderRecord:
    order_id: int
    customer_id: int | None
    placed_at: datetime
    country: str  # ISO alpha-2, or "" when unknown
    value_minor: int
    currency: str
    lines: tuple[LineRecord, ...]


def _codes(values: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    names = sorted(set(values))
    index = {name: position for position, name in enumerate(names)}
    return np.array([index[value] for value in values], dtype=np.int32), names


def history_build(
    orders: Sequence[OrderRecord], products: Sequence[ProductRecord], categories: Sequence[CategoryRecord]
) -> History:
    """A history from records. Lines of products missing from `products` are left out (a
    deleted product has no page to have been viewed); products whose category is missing
    from `categories` are left out with them."""
    category_index = {record.category_id: position for position, record in enumerate(categories)}
    kept = [product for product in products if product.category_id in category_index]
    product_index = {product.product_id: position for position, product in enumerate(kept)}
    catalog = Catalog(
        product_id=np.array([p.product_id for p in kept], dtype=np.int64),
        variant_id=np.array([-1 if p.variant_id is None else p.variant_id for p in kept], dtype=np.int64),
        category=np.array([category_index[p.category_id] for p in kept], dtype=np.int32),
        price_minor=np.array([p.price_minor for p in kept], dtype=np.int64),
        names=[p.name for p in kept],
        slugs=[p.slug for p in kept],
        category_id=np.array([c.category_id for c in categories], dtype=np.int64),
        category_names=[c.name for c in categories],
        category_slugs=[c.slug for c in categories],
    )
    ordered = sorted(orders, key=lambda record: (utc(record.placed_at), record.order_id))
    lines = [[line for line in record.lines if line.product_id in product_index] for record in ordered]
    country, countries = _codes([record.country for record in ordered])
    currency, currencies = _codes([record.currency for record in ordered])
    flat = [line for order_lines in lines for line in order_lines]
    history_orders = Orders(
        order_id=np.array([record.order_id for record in ordered], dtype=np.int64),
        customer_id=np.array(
            [-1 if record.customer_id is None else record.customer_id for record in ordered], dtype=np.int64
        ),
        placed_at=np.array([micros(record.placed_at) for record in ordered], dtype=np.int64),
        country=country,
        countries=countries,
        value_minor=np.array([record.value_minor for record in ordered], dtype=np.int64),
        currency=currency,
        currencies=currencies,
        line_start=np.concatenate([[0], np.cumsum([len(order_lines) for order_lines in lines])]).astype(
            np.int64
        ),
        line_product=np.array([product_index[line.product_id] for line in flat], dtype=np.int32),
        line_quantity=np.array([line.quantity for line in flat], dtype=np.int32),
        line_value_minor=np.array([line.value_minor for line in flat], dtype=np.int64),
    )
    return History(orders=history_orders, catalog=catalog)
