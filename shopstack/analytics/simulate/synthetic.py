"""A made-up shop at any scale, for the benchmark: catalogue, customers and orders as a
history, and the warehouse's order facts and dimensions written straight from it.

Nothing here is real. Ids start at 1 in each table; names are made of word lists; a year of
orders follows a week's rhythm and a Christmas peak.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopstack.analytics.simulate.history import Catalog, History, Orders
from shopstack.analytics.simulate.params import DAY_US, HOUR_US, SimulationParams
from shopstack.analytics.simulate.plan import rng_for
from shopstack.analytics.store.columns import micros
from shopstack.analytics.warehouse.files import warehouse
from shopstack.analytics.warehouse.layout import DAILY_FACTS, DIMS, FACTS, dim_path, fact_path

COLOURS = ("Red", "Blue", "Green", "Pink", "Ivory", "Black", "Silver", "Gold", "Pastel", "Vintage")
MATERIALS = ("Ceramic", "Glass", "Wooden", "Enamel", "Paper", "Metal", "Felt", "Cotton", "Tin", "Wicker")
THINGS = (
    "Mug", "Lantern", "Candle Holder", "Cushion", "Notebook", "Tote Bag", "Coaster", "Bunting",
    "Photo Frame", "Clock", "Teapot", "Jar", "Tray", "Doorstop", "Lunch Box", "Storage Tin",
    "Garland", "Ornament", "Wall Sign", "Plant Pot",
)  # fmt: skip
TOP_CATEGORIES = ("Home", "Kitchen", "Garden", "Paper", "Seasonal", "Kids", "Bags", "Gifts")
LEAVES_PER_TOP = 5
COUNTRIES = (("GB", 0.72), ("IE", 0.05), ("DE", 0.05), ("FR", 0.05), ("NL", 0.03), ("BE", 0.02),
             ("ES", 0.02), ("US", 0.03), ("AU", 0.015), ("CH", 0.015), ("", 0.01))  # fmt: skip
GUEST_SHARE = 0.15
FREE_SHIPPING_FROM = 5_000
SHIPPING = 395
# Orders placed in each UTC hour (daytime and evening).
ORDER_HOURS = np.array(
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 1.0, 2.5, 3.5, 4.0, 4.2,
     4.5, 4.2, 4.0, 4.0, 4.2, 4.5, 5.0, 5.5, 5.8, 5.2, 3.0, 0.0],
)  # fmt: skip


def _pick(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    cumulative = np.cumsum(weights) / np.sum(weights)
    return np.searchsorted(cumulative, rng.random(size), "right").clip(0, len(weights) - 1)


def synthetic_catalog(products: int, seed: int) -> Catalog:
    rng = rng_for(seed, 10)
    top = len(TOP_CATEGORIES)
    categories = top * LEAVES_PER_TOP
    category_names = [
        f"{TOP_CATEGORIES[i // LEAVES_PER_TOP]} {i % LEAVES_PER_TOP + 1}" for i in range(categories)
    ]
    combos = len(COLOURS) * len(MATERIALS) * len(THINGS)
    combo = rng.permutation(max(products, combos))[:products] % combos
    names = [
        f"{COLOURS[c // (len(MATERIALS) * len(THINGS))]} {MATERIALS[(c // len(THINGS)) % len(MATERIALS)]} "
        f"{THINGS[c % len(THINGS)]}"
        for c in combo.tolist()
    ]
    ids = np.arange(1, products + 1, dtype=np.int64)
    return Catalog(
        product_id=ids,
        variant_id=ids.copy(),
        # Two categories per kind of thing, split by material.
        category=(((combo % len(THINGS)) * 2 + (combo // len(THINGS)) % 2) % categories).astype(np.int32),
        price_minor=(np.exp(rng.normal(np.log(800), 0.6, products))).astype(np.int64).clip(95, 50_000),
        names=names,
        slugs=[f"{name.lower().replace(' ', '-')}-{i}" for i, name in zip(ids.tolist(), names, strict=True)],
        category_id=np.arange(1, categories + 1, dtype=np.int64),
        category_names=category_names,
        category_slugs=[name.lower().replace(" ", "-") for name in category_names],
    )


def _day_weights(start: datetime, days: int) -> np.ndarray:
    day = np.arange(days)
    weekday = (start.weekday() + day) % 7
    week = np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.8, 0.9])[weekday]
    day_of_year = np.array([(start + timedelta(days=int(d))).timetuple().tm_yday for d in day])
    christmas = 1 + 1.5 * np.exp(-(((day_of_year - 340) / 18.0) ** 2))
    return week * christmas


def synthetic_history(
    orders: int, *, products: int, customers: int, params: SimulationParams, seed: int, days: int = 365
) -> History:
    """`orders` orders of `customers` customers (and guests) over `days` days."""
    catalog = synthetic_catalog(products, seed)
    rng = rng_for(seed, 11)
    start = datetime.combine(params.synthetic_start, datetime.min.time(), tzinfo=UTC)
    day = _pick(rng, _day_weights(start, days), orders)
    within = _pick(rng, ORDER_HOURS, orders) * HOUR_US + rng.integers(0, HOUR_US, orders)
    placed = np.sort(micros(start) + day.astype(np.int64) * DAY_US + within)
    # A few customers order often, most a few times.
    customer = (customers * rng.random(orders) ** 2).astype(np.int64) + 1
    customer = np.where(rng.random(orders) < GUEST_SHARE, -1, customer)
    lines_per_order = 1 + rng.poisson(1.8, orders)
    line_start = np.concatenate([[0], np.cumsum(lines_per_order)]).astype(np.int64)
    popularity = 1.0 / (np.arange(products) + 10.0)
    line_product = rng.permutation(products)[_pick(rng, popularity, int(line_start[-1]))].astype(np.int32)
    quantity = (1 + rng.poisson(0.4, len(line_product))).astype(np.int32)
    line_value = catalog.price_minor[line_product] * quantity
    subtotal = np.add.reduceat(line_value, line_start[:-1])
    countries = [code for code, _ in COUNTRIES]
    country_of_customer = _pick(rng, np.array([share for _, share in COUNTRIES]), customers + 1)
    country = np.where(
        customer > 0,
        country_of_customer[np.maximum(customer, 0)],
        _pick(rng, np.array([share for _, share in COUNTRIES]), orders),
    )
    ordered = np.array(sorted(set(countries)))
    remap = np.searchsorted(ordered, np.array(countries))
    return History(
        orders=Orders(
            order_id=np.arange(1, orders + 1, dtype=np.int64),
            customer_id=customer,
            placed_at=placed,
            country=remap[country].astype(np.int32),
            countries=ordered.tolist(),
            value_minor=subtotal + np.where(subtotal >= FREE_SHIPPING_FROM, 0, SHIPPING),
            currency=np.zeros(orders, dtype=np.int32),
            currencies=["GBP"],
            line_start=line_start,
            line_product=line_product,
            line_quantity=quantity,
            line_value_minor=line_value,
        ),
        catalog=catalog,
    )


# --- facts and dimensions -----------------------------------------------------------------


def _table(schema: pa.Schema, columns: dict[str, pa.Array | np.ndarray | list]) -> pa.Table:
    size = len(next(iter(columns.values())))
    arrays = []
    for item in schema:
        value = columns.get(item.name)
        if value is None:
            arrays.append(pa.nulls(size, type=item.type))
        elif isinstance(value, np.ndarray) and pa.types.is_timestamp(item.type):
            arrays.append(pa.array(value, type=pa.int64()).cast(item.type))
        else:
            arrays.append(
                pa.array(value, type=item.type) if not isinstance(value, pa.Array) else value.cast(item.type)
            )
    return pa.Table.from_arrays(arrays, schema=schema)


def _text(value: str, size: int) -> pa.Array:
    return pa.array([value]).take(pa.array(np.zeros(size, dtype=np.int64)))


def history_facts(history: History, seed: int) -> dict[str, pa.Table]:
    """The orders and order_lines facts of a made-up history, and empty tables of the other
    facts (so that every table a reader expects is there)."""
    orders, catalog = history.orders, history.catalog
    rng = rng_for(seed, 12)
    size = orders.size
    lines = len(orders.line_product)
    line_order = np.repeat(np.arange(size), orders.line_count)
    subtotal = (
        np.add.reduceat(orders.line_value_minor, orders.line_start[:-1])
        if lines
        else np.zeros(size, np.int64)
    )
    units = (
        np.add.reduceat(orders.line_quantity, orders.line_start[:-1]) if lines else np.zeros(size, np.int32)
    )
    shipping = orders.value_minor - subtotal
    first_of_customer = np.ones(size, dtype=bool)
    by_customer = np.lexsort((orders.placed_at, orders.customer_id))
    same = orders.customer_id[by_customer][1:] == orders.customer_id[by_customer][:-1]
    first_of_customer[by_customer[1:]] = ~same
    first_of_customer &= orders.customer_id >= 0
    paid = orders.placed_at + rng.integers(5, 600, size) * 1_000_000
    shipped = orders.placed_at + rng.integers(12, 72, size) * HOUR_US
    delivered = shipped + rng.integers(24, 96, size) * HOUR_US
    country = pa.array(orders.countries).take(pa.array(orders.country))
    currency = pa.array(orders.currencies).take(pa.array(orders.currency))
    tables = {
        "orders": _table(
            FACTS["orders"],
            {
                "order_id": orders.order_id,
                "number": pc_join("SYN-", orders.order_id),
                "customer_id": pa.array(orders.customer_id, mask=orders.customer_id < 0),
                "channel": _text("web", size),
                "source": _text("shop", size),
                "country": country,
                "currency": currency,
                "status": _text("delivered", size),
                "payment_status": _text("captured", size),
                "fulfilment_status": _text("delivered", size),
                "placed_at": orders.placed_at,
                "paid_at": paid,
                "shipped_at": shipped,
                "delivered_at": delivered,
                "subtotal_minor": subtotal,
                "discount_minor": np.zeros(size, np.int64),
                "shipping_minor": shipping,
                "tax_minor": orders.value_minor // 6,
                "total_minor": orders.value_minor,
                "refunded_minor": np.zeros(size, np.int64),
                "voucher_code": _text("", size),
                "units": units,
                "is_first_order": first_of_customer,
            },
        ),
        "order_lines": _table(
            FACTS["order_lines"],
            {
                "line_id": np.arange(1, lines + 1, dtype=np.int64),
                "order_id": orders.order_id[line_order],
                "placed_at": orders.placed_at[line_order],
                "product_id": catalog.product_id[orders.line_product],
                "variant_id": catalog.variant_id[orders.line_product],
                "category_id": catalog.category_id[catalog.category[orders.line_product]],
                "sku": pc_join("SKU-", catalog.product_id[orders.line_product]),
                "product_name": pa.array(catalog.names).take(pa.array(orders.line_product)),
                "quantity": orders.line_quantity,
                "unit_price_minor": catalog.price_minor[orders.line_product],
                "total_minor": orders.line_value_minor,
                "refunded_minor": np.zeros(lines, np.int64),
                "quantity_returned": np.zeros(lines, np.int32),
            },
        ),
    }
    for name, schema in FACTS.items():
        tables.setdefault(name, schema.empty_table())
    return tables


def history_dims(history: History) -> dict[str, pa.Table]:
    orders, catalog = history.orders, history.catalog
    customers = np.unique(orders.customer_id[orders.customer_id >= 0])
    by_customer = np.lexsort((orders.placed_at, orders.customer_id))
    first_order = by_customer[np.searchsorted(orders.customer_id[by_customer], customers)]
    categories = len(catalog.category_id)
    top = np.arange(categories) // LEAVES_PER_TOP
    tops = len(TOP_CATEGORIES) if categories == len(TOP_CATEGORIES) * LEAVES_PER_TOP else 0
    top_ids = np.arange(categories + 1, categories + 1 + tops, dtype=np.int64)
    category_rows = {
        "category_id": np.concatenate([catalog.category_id, top_ids]),
        "name": [*catalog.category_names, *TOP_CATEGORIES[:tops]],
        "slug": [*catalog.category_slugs, *[name.lower() for name in TOP_CATEGORIES[:tops]]],
        "parent_id": pa.array(
            np.concatenate(
                [top_ids[top] if tops else np.zeros(categories, np.int64), np.zeros(tops, np.int64)]
            ),
            mask=np.concatenate([np.full(categories, not tops), np.ones(tops, dtype=bool)]),
        ),
        "top_category_id": np.concatenate([top_ids[top] if tops else catalog.category_id, top_ids]),
    }
    # "/top/leaf/" (or "/leaf/" without tops), as compaction writes the shop's own tree.
    leaf_paths = [
        f"/{top_ids[top[index]]}/{leaf}/" if tops else f"/{leaf}/"
        for index, leaf in enumerate(catalog.category_id.tolist())
    ]
    category_rows["path"] = [*leaf_paths, *(f"/{top}/" for top in top_ids.tolist())]
    return {
        "products": _table(
            DIMS["products"],
            {
                "product_id": catalog.product_id,
                "code": pc_join("SKU-", catalog.product_id),
                "name": catalog.names,
                "slug": catalog.slugs,
                "category_id": catalog.category_id[catalog.category],
                "price_minor": catalog.price_minor,
                "currency": _text("GBP", catalog.size),
                "is_published": np.ones(catalog.size, dtype=bool),
            },
        ),
        "variants": _table(
            DIMS["variants"],
            {
                "variant_id": catalog.variant_id,
                "product_id": catalog.product_id,
                "sku": pc_join("SKU-", catalog.product_id),
                "name": _text("", catalog.size),
            },
        ),
        "categories": _table(DIMS["categories"], category_rows),
        "customers": _table(
            DIMS["customers"],
            {
                "customer_id": customers,
                "joined_at": orders.placed_at[first_order],
                "country": pa.array(orders.countries).take(pa.array(orders.country[first_order])),
                "age_band": _text("", len(customers)),
            },
        ),
        "warehouses": _table(
            DIMS["warehouses"], {"warehouse_id": [1], "name": ["Main warehouse"], "country": ["GB"]}
        ),
        "shipping_methods": _table(
            DIMS["shipping_methods"],
            {
                "shipping_method_id": [1, 2],
                "name": ["Standard", "Express"],
                "code": ["standard", "express"],
                "zone": ["uk", "uk"],
                "max_days": [3, 1],
            },
        ),
    }


def pc_join(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def facts_write(root: str, history: History, seed: int) -> dict[str, int]:
    """Write the history's facts and dimensions under `root`; rows written per table."""
    counts = {}
    where = warehouse(root)
    for name, table in history_facts(history, seed).items():
        if name in DAILY_FACTS:
            # Kept a file per snapshot day; a shop at scale with no snapshots has none.
            if table.num_rows:
                raise ValueError(f"facts/{name} is written per day, not by the synthetic history")
            continue
        counts[f"facts/{name}"] = where.write(fact_path(where.root, name), FACTS[name], [table])
    for name, table in history_dims(history).items():
        counts[f"dims/{name}"] = where.write(dim_path(where.root, name), DIMS[name], [table])
    return counts
