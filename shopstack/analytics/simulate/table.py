"""A day's events as a pyarrow table of the EVENTS schema, from the columns `events` made.

Text columns are dictionaries over small lists of strings (kinds, paths, campaigns, the
day's visitors): no string is copied per event while the day is made; the writer stores the text.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopstack.analytics.schema import SCHEMA_VERSION, Kind
from shopstack.analytics.simulate.events import NONE, Catalogue, Code, DayEvents
from shopstack.analytics.simulate.params import (
    EMAIL_SOURCE,
    MEDIUM,
    PAID_SEARCH_SOURCE,
    REFERRING_SITES,
    SEARCH_ENGINES,
    SIM_PREFIX,
    SOCIAL_SITES,
    Source,
    campaigns_on,
)
from shopstack.analytics.simulate.plan import Visits
from shopstack.analytics.warehouse.layout import EVENTS

# Hidden columns that order a day's events at a shared moment (visit, then place in it).
ROW, KEY = "_row", "_key"
KIND_NAMES = pa.array(
    [
        Kind.PAGE_VIEW,
        Kind.PRODUCT_VIEW,
        Kind.LIST_VIEW,
        Kind.SEARCH,
        Kind.SEARCH_CLICK,
        Kind.CART_ADD,
        Kind.CHECKOUT_STEP,
        Kind.ORDER_PLACED,
        Kind.PAGE_ENGAGEMENT,
    ],
    type=pa.string(),
)
VISITOR_PREFIXES = pa.array([f"{SIM_PREFIX}v-c", f"{SIM_PREFIX}v-g", f"{SIM_PREFIX}v-a", f"{SIM_PREFIX}bot-"])
DEVICE_NAMES = pa.array(["phone", "tablet", "desktop", "bot"])
CHANNEL_NAMES = pa.array(["web", "app"])
BLANK = pa.array([""])
# The EVENTS schema with its text columns dictionary-encoded (see _coded).
CODED_EVENTS = pa.schema(
    [pa.field(f.name, pa.dictionary(pa.int32(), f.type) if f.type == pa.string() else f.type) for f in EVENTS]
)


def _landing_tags(
    rng: np.random.Generator, day: date, visits: Visits, catalogue: Catalogue
) -> tuple[np.ndarray, list[tuple[str, str, str, str]], np.ndarray]:
    """For each visit: index into the day's (referrer, utm_source, utm_medium, utm_campaign)
    tags, and the paid-search term (a query index, -1 for none)."""
    campaigns = campaigns_on(day)
    tags: list[tuple[str, str, str, str]] = [("", "", "", "")]
    choices: dict[Source, tuple[list[int], list[float]]] = {}

    def add(source: Source, tag: tuple[str, str, str, str], weight: float) -> None:
        tags.append(tag)
        picks = choices.setdefault(source, ([], []))
        picks[0].append(len(tags) - 1)
        picks[1].append(weight)

    for engine, share in SEARCH_ENGINES:
        add(Source.ORGANIC, (engine, "", "", ""), share)
    for site in REFERRING_SITES:
        add(Source.REFERRAL, (site, "", "", ""), 1.0)
    for campaign in campaigns[Source.EMAIL]:
        add(Source.EMAIL, ("", EMAIL_SOURCE, MEDIUM[Source.EMAIL], campaign), 1.0)
    for name, referrer in SOCIAL_SITES:
        for campaign in campaigns[Source.PAID_SOCIAL]:
            add(Source.PAID_SOCIAL, (referrer, name, MEDIUM[Source.PAID_SOCIAL], campaign), 1.0)
    for campaign in campaigns[Source.PAID_SEARCH]:
        add(
            Source.PAID_SEARCH,
            (SEARCH_ENGINES[0][0], PAID_SEARCH_SOURCE, MEDIUM[Source.PAID_SEARCH], campaign),
            1.0,
        )
    picked = np.zeros(visits.size, dtype=np.int64)
    for source, (indices, weights) in choices.items():
        rows = np.flatnonzero(visits.source == source)
        cumulative = np.cumsum(weights) / sum(weights)
        picked[rows] = np.array(indices)[
            np.searchsorted(cumulative, rng.random(len(rows)), "right").clip(0, len(indices) - 1)
        ]
    queries = catalogue.queries
    found = queries.found
    term = np.full(visits.size, -1, dtype=np.int64)
    paid = np.flatnonzero(visits.source == Source.PAID_SEARCH)
    if len(found):
        term[paid] = found[rng.integers(0, len(found), len(paid))]
    return picked, tags, term


def _ints(values: np.ndarray, kind: pa.DataType) -> pa.Array:
    missing = values == NONE
    return pa.array(np.where(missing, 0, values), type=kind, mask=missing if missing.any() else None)


def _ids(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """The shop's ids of catalogue, category or order indices (-1: none)."""
    return np.where(values >= 0, ids[np.maximum(values, 0)], NONE)


def _coded(indices: np.ndarray, dictionary: pa.Array) -> pa.DictionaryArray:
    """Strings as indices into `dictionary`: no string is copied, and Parquet stores the column
    dictionary-encoded (the warehouse's writer stores the text itself: see warehouse/files.py)."""
    distinct = pc.unique(dictionary)
    if len(distinct) < len(dictionary):
        # A value twice in a dictionary is not a valid one for Parquet's writer (nor stable).
        indices = np.asarray(pc.index_in(dictionary, distinct))[indices]
        dictionary = distinct
    return pa.DictionaryArray.from_arrays(pa.array(indices, type=pa.int32()), dictionary)


def _join(prefixes: pa.Array, which: np.ndarray, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(
        prefixes.take(pa.array(which)), pc.cast(pa.array(numbers), pa.string()), ""
    )


def day_table(
    day: date, visits: Visits, events: DayEvents, catalogue: Catalogue, rng: np.random.Generator
) -> pa.Table:
    """The events as a table of the EVENTS schema, text dictionary-encoded (CODED_EVENTS), with
    the hidden ordering columns; event_id is still empty: it is given when the day's file is
    written, in the file's order."""
    history = catalogue.history
    catalog, orders = history.catalog, history.orders
    c = events.columns
    row = c["row"]
    size = events.size
    picked, tags, term = _landing_tags(rng, day, visits, catalogue)
    is_landing = (c["key"] == 0) & (visits.source[row] != Source.NONE)
    tag = np.where(is_landing, picked[row], 0)
    tag_columns = [pa.array([t[i] for t in tags]) for i in range(4)]

    visitor_ids = _join(VISITOR_PREFIXES, visits.visitor_kind.astype(np.int64), visits.visitor_num)
    session_prefixes = pa.array([f"{SIM_PREFIX}s-{day:%Y%m%d}-", f"{SIM_PREFIX}s-o"])
    session_ids = _join(session_prefixes, visits.session_of_order.astype(np.int64), visits.session_num)
    product = c["product"]
    category = np.where(product >= 0, catalog.category[np.maximum(product, 0)], c["list_category"])
    time = pa.array(events.time, type=pa.int64()).cast(EVENTS.field("occurred_at").type)
    kind = c["kind"]
    carries_value = np.isin(kind, [Code.CART_ADD, Code.ORDER_PLACED])
    placed = kind == Code.ORDER_PLACED
    order = np.maximum(c["order"], 0)
    value = np.where(placed, orders.value_minor[order], c["value"])
    currency = np.where(placed, orders.currency[order], c["currency"])
    currency = np.where(carries_value, currency, -1)
    search = np.isin(kind, [Code.SEARCH, Code.SEARCH_CLICK])
    result_count = np.where(
        search,
        catalogue.queries.result_count[np.maximum(c["query"], 0)].astype(np.int64)
        if len(catalogue.queries.texts)
        else NONE,
        NONE,
    )
    blank = _coded(np.zeros(size, dtype=np.int64), BLANK)
    columns = {
        "kind": _coded(kind, KIND_NAMES),
        "occurred_at": time,
        "event_id": blank,
        "schema_version": pa.array(np.full(size, SCHEMA_VERSION, dtype=np.int16)),
        "received_at": time,
        "visitor_id": _coded(row, visitor_ids),
        "session_id": _coded(row, session_ids),
        "customer_id": _ints(
            np.where(visits.customer_id[row] >= 0, visits.customer_id[row], NONE), pa.int64()
        ),
        "consent": pa.array(np.ones(size, dtype=bool)),
        "channel": _coded(visits.app[row].astype(np.int64), CHANNEL_NAMES),
        "device": _coded(visits.device[row].astype(np.int64), DEVICE_NAMES),
        "is_bot": pa.array(visits.is_bot[row]),
        "country": _coded(visits.country[row].astype(np.int64) + 1, catalogue.countries),
        "path": _coded(c["path"], catalogue.paths),
        "referrer": _coded(tag, tag_columns[0]),
        "utm_source": _coded(tag, tag_columns[1]),
        "utm_medium": _coded(tag, tag_columns[2]),
        "utm_campaign": _coded(tag, tag_columns[3]),
        "utm_term": _coded(np.where(is_landing, term[row], -1) + 1, catalogue.query_texts),
        "utm_content": blank,
        "product_id": _ints(_ids(product, catalog.product_id), pa.int64()),
        "variant_id": _ints(
            np.where(kind == Code.CART_ADD, _ids(product, catalog.variant_id), NONE), pa.int64()
        ),
        "category_id": _ints(_ids(category, catalog.category_id), pa.int64()),
        "list_name": _coded(
            np.where(kind == Code.LIST_VIEW, c["list_category"], -1) + 1, catalogue.list_names
        ),
        "order_id": _ints(_ids(c["order"], orders.order_id), pa.int64()),
        "search_query": _coded(np.where(search, c["query"], -1) + 1, catalogue.query_texts),
        "result_count": _ints(result_count, pa.int32()),
        "position": _ints(np.where(kind == Code.SEARCH_CLICK, c["position"], NONE), pa.int32()),
        "quantity": _ints(np.where(kind == Code.CART_ADD, c["quantity"], NONE), pa.int32()),
        "value_minor": _ints(np.where(carries_value, value, NONE), pa.int64()),
        "currency": _coded(currency + 1, catalogue.currencies),
        "checkout_step": _coded(np.where(kind == Code.CHECKOUT_STEP, c["step"], -1) + 1, catalogue.steps),
        "engaged_ms": _ints(events.engaged_ms, pa.int64()),
        "campaign": blank,
    }
    table = pa.Table.from_arrays([columns[field.name] for field in EVENTS], schema=CODED_EVENTS)
    table = table.append_column(ROW, pa.array(visits.row_id[row])).append_column(KEY, pa.array(c["key"]))
    return table
