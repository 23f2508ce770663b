"""A day's visits as events: which pages each visit sees, in what order, and when.

Every visit is a sequence of blocks, each event keyed by its place in the visit:

    landing page         home, a category or a product; carries the referrer and UTM tags
    category lists       list_view
    searches             search, then perhaps search_click and the product clicked
    products             product_view, with cart_add for what goes in the cart
    checkout             checkout_step, as far as the visit got
    order                order_placed (ordering visits)

A page a person saw is followed by its beacon (page_engagement) when they leave it. Times
come from gaps drawn per event and added up; `engaged_ms` is the time from a page to its
beacon, so the two always agree. The events are made as columns for all of a day's visits
at once (NumPy); `table` turns them into a pyarrow table of the EVENTS schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pyarrow as pa

from shopstack.analytics.schema import CHECKOUT_STEPS
from shopstack.analytics.simulate.history import History
from shopstack.analytics.simulate.params import Depth, SimulationParams, Source
from shopstack.analytics.simulate.plan import ORDERED, Visits
from shopstack.analytics.simulate.queries import Queries

NONE = np.iinfo(np.int64).min  # a missing number (null in the table)
SECOND = 1_000_000


class Code(IntEnum):
    PAGE_VIEW = 0
    PRODUCT_VIEW = 1
    LIST_VIEW = 2
    SEARCH = 3
    SEARCH_CLICK = 4
    CART_ADD = 5
    CHECKOUT_STEP = 6
    ORDER_PLACED = 7
    PAGE_ENGAGEMENT = 8


PAGES = np.array([Code.PAGE_VIEW, Code.PRODUCT_VIEW, Code.LIST_VIEW, Code.SEARCH])
# Median gap before an event of each kind (seconds): reading a page is what takes time.
MEDIAN_GAP = np.array([20.0, 20.0, 20.0, 15.0, 6.0, 8.0, 40.0, 20.0, 25.0])
AFTER_BEACON_GAP = 1.5  # clicking on to the next page once the last one was left
BOT_GAP = 1.0
LONGEST_GAP = 20 * 60 * SECOND  # well inside the session gap
# Keys: each block's events are 10 apart; within a slot +1 is an action on the page, +3 its
# beacon, +5 the product a search result led to and +8 that page's beacon.
LIST_KEY, SEARCH_KEY, VIEW_KEY, CHECKOUT_KEY, ORDER_KEY = 10, 1_000, 100_000, 10_000_000, 20_000_000
ACTION, BEACON, CLICKED = 1, 3, 5
LANDING_SHARES = (0.5, 0.25, 0.25)  # home, a category, a product
FIXED_PATHS = [
    "/",
    "/search/",
    "/checkout/",
    *[f"/checkout/{s}/" for s in CHECKOUT_STEPS[1:]],
    "/checkout/done/",
]
HOME_PATH, SEARCH_PATH, CHECKOUT_PATH, DONE_PATH = 0, 1, 2, len(FIXED_PATHS) - 1


class Catalogue:
    """What visitors look at, prepared once per run: products by popularity and by category,
    the search queries, and every string a column takes (paths, list names, countries)."""

    def __init__(self, history: History, queries: Queries) -> None:
        catalog, orders = history.catalog, history.orders
        self.history, self.queries = history, queries
        # Bought more often, looked at more often; every product now and then.
        self.popularity = np.bincount(orders.line_product, minlength=catalog.size).astype(np.float64) + 1.0
        self.cumulative = np.cumsum(self.popularity)
        self.by_category = np.argsort(catalog.category, kind="stable")
        self.category_cumulative = np.cumsum(self.popularity[self.by_category])
        categories = len(catalog.category_id)
        self.category_start = np.searchsorted(catalog.category[self.by_category], np.arange(categories))
        self.category_end = np.searchsorted(
            catalog.category[self.by_category], np.arange(categories), "right"
        )
        weight = np.bincount(catalog.category, weights=self.popularity, minlength=categories)
        self.category_cumulative_weight = np.cumsum(weight)
        self.paths = pa.array(
            FIXED_PATHS
            + [f"/c/{slug}/" for slug in catalog.category_slugs]
            + [f"/p/{slug}/" for slug in catalog.slugs]
        )
        self.category_path = len(FIXED_PATHS)
        self.product_path = len(FIXED_PATHS) + categories
        self.list_names = pa.array(["", *[f"category:{slug}" for slug in catalog.category_slugs]])
        self.query_texts = pa.array(["", *queries.texts])
        self.countries = pa.array(["", *orders.countries])
        self.currencies = pa.array(["", *orders.currencies])
        self.main_currency = int(np.bincount(orders.currency).argmax()) if orders.size else -1
        self.steps = pa.array(["", *CHECKOUT_STEPS])

    def categories(self, rng: np.random.Generator, size: int) -> np.ndarray:
        total = self.category_cumulative_weight[-1]
        return np.searchsorted(self.category_cumulative_weight, rng.random(size) * total, "right").astype(
            np.int32
        )

    def popular_products(self, rng: np.random.Generator, size: int) -> np.ndarray:
        found = np.searchsorted(self.cumulative, rng.random(size) * self.cumulative[-1], "right")
        return found.clip(0, len(self.cumulative) - 1).astype(np.int32)

    def products_in(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        """A product of each category, the popular more often. Categories come from
        `categories()`, which picks only categories that hold products."""
        start, end = self.category_start[category], self.category_end[category]
        before = np.where(start > 0, self.category_cumulative[np.maximum(start - 1, 0)], 0.0)
        upto = self.category_cumulative[np.maximum(end - 1, 0)]
        found = np.searchsorted(
            self.category_cumulative, before + rng.random(len(category)) * (upto - before), "right"
        )
        return self.by_category[np.clip(found, start, np.maximum(end - 1, start))].astype(np.int32)

    def products_near(self, rng: np.random.Generator, focus: np.ndarray, share: float = 0.6) -> np.ndarray:
        """Products in the visit's category of interest (`share` of them), else any."""
        own = rng.random(len(focus)) < share
        return np.where(own, self.products_in(rng, focus), self.popular_products(rng, len(focus)))


@dataclass
class Block:
    """Events of one block, as columns (every array the same length)."""

    row: np.ndarray  # index into the day's visits
    key: np.ndarray
    kind: np.ndarray
    path: np.ndarray
    product: np.ndarray | None = None  # catalogue index, -1 none
    list_category: np.ndarray | None = None
    query: np.ndarray | None = None  # index into queries, -1 none
    position: np.ndarray | None = None
    quantity: np.ndarray | None = None
    value: np.ndarray | None = None
    currency: np.ndarray | None = None
    step: np.ndarray | None = None
    order: np.ndarray | None = None

    FILL = {"product": -1, "list_category": -1, "query": -1, "position": -1, "quantity": NONE,
            "value": NONE, "currency": -1, "step": -1, "order": -1}  # fmt: skip

    @staticmethod
    def concat(blocks: list[Block]) -> dict[str, np.ndarray]:
        columns: dict[str, np.ndarray] = {}
        for name in ("row", "key", "kind", "path", *Block.FILL):
            parts = []
            for block in blocks:
                value = getattr(block, name)
                parts.append(
                    np.full(len(block.row), Block.FILL[name], dtype=np.int64)
                    if value is None
                    else np.asarray(value, dtype=np.int64)
                )
            columns[name] = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return columns


def _counts(rng: np.random.Generator, visits: Visits) -> dict[str, np.ndarray]:
    """How many lists, searches and extra products each visit looks at."""
    size = visits.size
    human = ~visits.is_bot
    ordering = visits.depth == ORDERED
    browsing = human & ~ordering & (visits.depth >= Depth.BROWSE)
    lists = np.where(browsing, rng.poisson(1.0, size), 0)
    lists = np.where(ordering, rng.poisson(0.7, size), lists)
    lists = np.where(visits.is_bot, rng.poisson(3.0, size), lists)
    searches = np.where(browsing, (rng.random(size) < 0.35) * (1 + rng.poisson(0.3, size)), 0)
    searches = np.where(ordering, rng.random(size) < 0.3, searches)
    views = np.where(browsing, 1 + rng.poisson(2.0, size), 0)
    views = np.where(ordering, rng.poisson(1.0, size), views)
    views = np.where(visits.is_bot, 5 + rng.poisson(15.0, size), views)
    return {"lists": lists.clip(0, 90), "searches": searches.astype(np.int64).clip(0, 90), "views": views}


def _ordinal(row: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each run of equal `row` values (rows sorted)."""
    if len(row) == 0:
        return row
    starts = np.r_[0, np.flatnonzero(np.diff(row)) + 1]
    return np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)]))


def _landing(rng: np.random.Generator, visits: Visits, focus: np.ndarray, catalogue: Catalogue) -> Block:
    rows = np.flatnonzero(visits.source != Source.NONE)
    kind = np.array([Code.PAGE_VIEW, Code.LIST_VIEW, Code.PRODUCT_VIEW])[
        np.searchsorted(np.cumsum(LANDING_SHARES), rng.random(len(rows)), "right").clip(0, 2)
    ]
    kind = np.where(visits.is_bot[rows], Code.PAGE_VIEW, kind)
    product = np.where(kind == Code.PRODUCT_VIEW, catalogue.products_in(rng, focus[rows]), -1)
    category = np.where(kind == Code.LIST_VIEW, focus[rows], -1)
    path = np.select(
        [kind == Code.PRODUCT_VIEW, kind == Code.LIST_VIEW],
        [catalogue.product_path + product, catalogue.category_path + category],
        HOME_PATH,
    )
    return Block(
        row=rows, key=np.zeros(len(rows)), kind=kind, path=path, product=product, list_category=category
    )


def _lists(rng: np.random.Generator, counts: np.ndarray, focus: np.ndarray, catalogue: Catalogue) -> Block:
    rows = np.repeat(np.arange(len(counts)), counts)
    category = np.where(rng.random(len(rows)) < 0.6, focus[rows], catalogue.categories(rng, len(rows)))
    return Block(
        row=rows,
        key=LIST_KEY + 10 * _ordinal(rows),
        kind=np.full(len(rows), Code.LIST_VIEW),
        path=catalogue.category_path + category,
        list_category=category,
    )


def _searches(
    rng: np.random.Generator, counts: np.ndarray, catalogue: Catalogue, params: SimulationParams
) -> list[Block]:
    queries = catalogue.queries
    rows = np.repeat(np.arange(len(counts)), counts)
    found = queries.found
    if len(found) == 0 and len(queries.zero_result) == 0:
        return []
    pick = np.zeros(len(rows), dtype=np.int64)
    if len(found):
        share = np.cumsum(queries.weight[found]) / queries.weight[found].sum()
        pick = found[np.searchsorted(share, rng.random(len(rows)), "right").clip(0, len(found) - 1)]
    if len(queries.zero_result):
        nothing = queries.zero_result[rng.integers(0, len(queries.zero_result), len(rows))]
        share_nothing = params.zero_result_share if len(found) else 1.0
        pick = np.where(rng.random(len(rows)) < share_nothing, nothing, pick)
    key = SEARCH_KEY + 10 * _ordinal(rows)
    count = queries.result_count[pick]
    blocks = [
        Block(
            row=rows,
            key=key,
            kind=np.full(len(rows), Code.SEARCH),
            path=np.full(len(rows), SEARCH_PATH),
            query=pick,
        )
    ]
    clicked = np.flatnonzero((count > 0) & (rng.random(len(rows)) < 0.6))
    if len(clicked):
        position = np.minimum(rng.geometric(0.45, len(clicked)), count[clicked])
        product = queries.products[queries.start[pick[clicked]] + position - 1]
        blocks.append(
            Block(
                row=rows[clicked],
                key=key[clicked] + ACTION,
                kind=np.full(len(clicked), Code.SEARCH_CLICK),
                path=np.full(len(clicked), SEARCH_PATH),
                query=pick[clicked],
                position=position,
                product=product,
            )
        )
        blocks.append(
            Block(
                row=rows[clicked],
                key=key[clicked] + CLICKED,
                kind=np.full(len(clicked), Code.PRODUCT_VIEW),
                path=catalogue.product_path + product,
                product=product,
            )
        )
    return blocks


def _products(
    rng: np.random.Generator, visits: Visits, counts: np.ndarray, focus: np.ndarray, catalogue: Catalogue
) -> list[Block]:
    """Products looked at, in a random order: every line of an ordering visit's order (each
    put in the cart with the line's quantity), and others; a cart visit carts its first.
    Returning visits look at what the customer buys later half the time."""
    orders, catalog = catalogue.history.orders, catalogue.history.catalog
    rows = np.repeat(np.arange(visits.size), counts)
    product = catalogue.products_near(rng, focus[rows])
    # A customer looking around before an order sees, now and then, what they buy later.
    later = np.maximum(visits.related_order[rows], 0)
    first_line, lines = orders.line_start[later], orders.line_start[later + 1] - orders.line_start[later]
    foretold = (visits.related_order[rows] >= 0) & (lines > 0) & (rng.random(len(rows)) < 0.5)
    line = first_line + (rng.random(len(rows)) * lines).astype(np.int64)
    product = np.where(foretold, orders.line_product[np.minimum(line, len(orders.line_product) - 1)], product)
    carting = (visits.depth[rows] >= Depth.CART) & (visits.depth[rows] != ORDERED) & ~visits.is_bot[rows]
    first = _ordinal(rows) == 0
    carted = carting & (first | (rng.random(len(rows)) < 0.2))
    quantity = np.where(carted, 1 + rng.poisson(0.6, len(rows)), NONE)
    value = np.where(carted, catalog.price_minor[product] * np.maximum(quantity, 0), NONE)
    currency = np.where(carted, catalogue.main_currency, -1)

    ordering = np.flatnonzero(visits.order >= 0)
    order = visits.order[ordering]
    line_counts = orders.line_start[order + 1] - orders.line_start[order]
    line_rows = np.repeat(ordering, line_counts)
    line = np.repeat(orders.line_start[order], line_counts) + _ordinal(
        np.repeat(np.arange(len(order)), line_counts)
    )
    rows = np.concatenate([rows, line_rows])
    product = np.concatenate([product, orders.line_product[line]])
    carted = np.concatenate([carted, np.ones(len(line), dtype=bool)])
    quantity = np.concatenate([quantity, orders.line_quantity[line]])
    value = np.concatenate([value, orders.line_value_minor[line]])
    currency = np.concatenate([currency, orders.currency[visits.order[line_rows]]])

    shuffle = np.lexsort((rng.random(len(rows)), rows))
    rows, product, carted = rows[shuffle], product[shuffle], carted[shuffle]
    quantity, value, currency = quantity[shuffle], value[shuffle], currency[shuffle]
    key = VIEW_KEY + 10 * _ordinal(rows)
    path = catalogue.product_path + product
    blocks = [
        Block(row=rows, key=key, kind=np.full(len(rows), Code.PRODUCT_VIEW), path=path, product=product)
    ]
    into_cart = np.flatnonzero(carted)
    blocks.append(
        Block(
            row=rows[into_cart],
            key=key[into_cart] + ACTION,
            kind=np.full(len(into_cart), Code.CART_ADD),
            path=path[into_cart],
            product=product[into_cart],
            quantity=quantity[into_cart],
            value=value[into_cart],
            currency=currency[into_cart],
        )
    )
    return blocks


def _checkout(visits: Visits) -> list[Block]:
    reached = np.where(visits.depth >= Depth.CHECKOUT, visits.depth - Depth.CHECKOUT + 1, 0)
    reached = np.where(visits.depth == ORDERED, len(CHECKOUT_STEPS), reached).clip(0, len(CHECKOUT_STEPS))
    rows = np.repeat(np.arange(visits.size), reached)
    step = _ordinal(rows)
    ordering = np.flatnonzero(visits.order >= 0)
    orders_placed = Block(
        row=ordering,
        key=np.full(len(ordering), ORDER_KEY),
        kind=np.full(len(ordering), Code.ORDER_PLACED),
        path=np.full(len(ordering), DONE_PATH),
        order=visits.order[ordering],
    )
    steps = Block(
        row=rows,
        key=CHECKOUT_KEY + 10 * step,
        kind=np.full(len(rows), Code.CHECKOUT_STEP),
        path=CHECKOUT_PATH + step,
        step=step,
    )
    return [steps, orders_placed]


def _beacons(rng: np.random.Generator, columns: dict[str, np.ndarray], visits: Visits, share: float) -> Block:
    page = np.flatnonzero(np.isin(columns["kind"], PAGES) & ~visits.is_bot[columns["row"]])
    page = page[rng.random(len(page)) < share]
    return Block(
        row=columns["row"][page],
        key=columns["key"][page] + BEACON,
        kind=np.full(len(page), Code.PAGE_ENGAGEMENT),
        path=columns["path"][page],
    )


@dataclass
class DayEvents:
    """A day's events as columns, sorted by (visit, place in the visit), with their times."""

    columns: dict[str, np.ndarray]
    time: np.ndarray  # int64 microseconds UTC
    engaged_ms: np.ndarray  # int64, NONE but on beacons

    @property
    def size(self) -> int:
        return len(self.time)


def visit_events(
    visits: Visits, catalogue: Catalogue, params: SimulationParams, rng: np.random.Generator
) -> DayEvents:
    focus = catalogue.categories(rng, visits.size)
    counts = _counts(rng, visits)
    blocks = [
        _landing(rng, visits, focus, catalogue),
        _lists(rng, counts["lists"], focus, catalogue),
        *_searches(rng, counts["searches"], catalogue, params),
        *_products(rng, visits, counts["views"], focus, catalogue),
        *_checkout(visits),
    ]
    columns = Block.concat(blocks)
    columns = Block.concat([*blocks, _beacons(rng, columns, visits, params.beacon_share)])
    order = np.lexsort((columns["key"], columns["row"]))
    columns = {name: values[order] for name, values in columns.items()}
    time = _times(rng, visits, columns)
    is_beacon = columns["kind"] == Code.PAGE_ENGAGEMENT
    page_at = np.maximum.accumulate(np.where(np.isin(columns["kind"], PAGES), np.arange(len(time)), 0))
    engaged_ms = np.where(is_beacon, (time - time[page_at]) // 1000, NONE)
    return DayEvents(columns=columns, time=time, engaged_ms=engaged_ms)


def _times(rng: np.random.Generator, visits: Visits, columns: dict[str, np.ndarray]) -> np.ndarray:
    row, kind = columns["row"], columns["kind"]
    size = len(row)
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    median = MEDIAN_GAP[kind]
    after_beacon = np.r_[False, kind[:-1] == Code.PAGE_ENGAGEMENT] & np.isin(kind, PAGES)
    median = np.where(after_beacon, AFTER_BEACON_GAP, median)
    median = np.where(visits.is_bot[row], BOT_GAP, median)
    gap = (median * np.exp(rng.normal(0.0, 0.8, size)) * SECOND).astype(np.int64).clip(100_000, LONGEST_GAP)
    first = np.r_[True, row[1:] != row[:-1]]
    gap[first] = 0
    total = np.cumsum(gap)
    offset = total - total[np.maximum.accumulate(np.where(first, np.arange(size), 0))]
    last = np.r_[row[1:] != row[:-1], True]
    duration = np.zeros(visits.size, dtype=np.int64)
    duration[row[last]] = offset[last]
    # A visit longer than it may be is squeezed: all its gaps shortened alike.
    squeeze = np.where(duration > visits.cap, visits.cap / np.maximum(duration, 1), 1.0)
    offset = np.floor(offset * squeeze[row]).astype(np.int64)
    duration[row[last]] = offset[last]
    anchor = visits.anchor[row]
    return np.where(visits.ends_at_anchor[row], anchor - (duration[row] - offset), anchor + offset)
