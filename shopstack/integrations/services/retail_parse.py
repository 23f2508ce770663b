"""Read the Online Retail Parquet file into plain Python records, applying the row rules.

No database work happens here: the result says exactly what the import will write, and
which rows it leaves out and why.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from shopstack.integrations.services import retail_rules as rules

SHOP_TIME_ZONE = ZoneInfo("Europe/London")
FEATURED_COUNT = 12
RECENT_DAYS = 120  # "recent" for featured products: first sold in the data's last 120 days
COLUMNS = (
    "InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"
)  # fmt: skip

# Reasons a row is left out, as shown in the report.
SKIP_ADJUSTMENT = "bad-debt adjustment invoice (A...)"
SKIP_PRICE = "unit price zero or negative (after rounding to pence)"
SKIP_QUANTITY_ZERO = "quantity zero"
SKIP_NEGATIVE_SALE = "negative quantity on a sales invoice (stock write-off)"
SKIP_POSITIVE_CANCEL = "positive quantity on a cancellation invoice"
SKIP_INVOICE = "unrecognised invoice number"


@dataclass(slots=True)
class LineRecord:
    code: str
    name: str
    quantity: int  # always positive: units sold, or units cancelled on a cancellation
    unit_pence: int


@dataclass(slots=True)
class ChargeRecord:
    code: str
    description: str
    amount_pence: int  # positive; on a cancellation, the amount given back


@dataclass(slots=True)
class OrderRecord:
    number: str
    is_cancellation: bool
    customer_id: int | None
    country: str
    placed_at: dt.datetime
    lines: list[LineRecord] = field(default_factory=list)
    charges: list[ChargeRecord] = field(default_factory=list)


@dataclass(slots=True)
class ProductRecord:
    code: str
    name: str
    aliases: list[str]
    price_pence: int
    first_sold: dt.datetime
    units_sold: int  # ordered minus cancelled, never below zero
    categories: list[str]
    attributes: list[tuple[str, str]]
    stock: int
    is_featured: bool = False
    named_from_code: bool = False


@dataclass(slots=True)
class CustomerRecord:
    external_id: str
    first_name: str
    last_name: str
    email: str
    country: str
    joined: dt.datetime  # first invoice


@dataclass
class ParsedData:
    rows: int = 0
    products: dict[str, ProductRecord] = field(default_factory=dict)
    customers: dict[int, CustomerRecord] = field(default_factory=dict)
    orders: list[OrderRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_invoices: Counter[str] = field(default_factory=Counter)  # invoices left with nothing
    ignored_descriptions: Counter[str] = field(default_factory=Counter)  # notes, not names
    codes_without_sales: list[str] = field(default_factory=list)


_PENCE_CACHE: dict[float, int] = {}


def to_pence(price: float) -> int:
    pence = _PENCE_CACHE.get(price)
    if pence is None:
        pence = int(Decimal(repr(price)).scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        _PENCE_CACHE[price] = pence
    return pence


def _local(micros: int) -> dt.datetime:
    naive = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
    return naive.replace(tzinfo=SHOP_TIME_ZONE)


def read_table(path: Path) -> pa.Table:
    table = pq.read_table(path, columns=list(COLUMNS))
    return table.set_column(
        COLUMNS.index("InvoiceDate"), "InvoiceDate", table.column("InvoiceDate").cast(pa.int64())
    )


def parse_transactions(table: pa.Table, *, tick: Callable[[int], object] | None = None) -> ParsedData:
    """Group the rows into orders, products and customers (rules: docs/demo-data.md)."""
    data = ParsedData(rows=table.num_rows)
    cols = {name: table.column(name).to_pylist() for name in COLUMNS}
    invoices, codes, descriptions = cols["InvoiceNo"], cols["StockCode"], cols["Description"]
    quantities, dates, prices = cols["Quantity"], cols["InvoiceDate"], cols["UnitPrice"]
    customer_ids, countries = cols["CustomerID"], cols["Country"]

    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    price_counts: dict[str, Counter[int]] = defaultdict(Counter)
    ordered: Counter[str] = Counter()
    cancelled: Counter[str] = Counter()
    first_sold: dict[str, int] = {}
    first_seen: dict[str, int] = {}
    customer_countries: dict[int, Counter[str]] = defaultdict(Counter)
    orders: dict[str, OrderRecord] = {}
    order_first: dict[str, int] = {}
    invoice_rows: Counter[str] = Counter()

    for i in range(data.rows):
        if tick is not None and i % 10_000 == 0:
            tick(min(10_000, data.rows - i))
        number = invoices[i].strip().upper()
        raw_code = codes[i].strip()
        is_product = raw_code[:1].isdigit()
        code = raw_code.upper()
        text = rules.normalise_text(descriptions[i] or "")
        if is_product:
            if rules.is_product_name(text):
                spellings[code][text] += 1
            else:
                data.ignored_descriptions[text] += 1
        invoice_rows[number] += 1

        is_cancellation = number.startswith("C")
        reason = None
        quantity, pence = quantities[i], to_pence(prices[i])
        if number.startswith("A"):
            reason = SKIP_ADJUSTMENT
        elif not (number[:1].isdigit() or is_cancellation):
            reason = SKIP_INVOICE
        elif pence <= 0:
            reason = SKIP_PRICE
        elif quantity == 0:
            reason = SKIP_QUANTITY_ZERO
        elif quantity < 0 and not is_cancellation:
            reason = SKIP_NEGATIVE_SALE
        elif quantity > 0 and is_cancellation:
            reason = SKIP_POSITIVE_CANCEL
        if reason is not None:
            data.skipped[reason] += 1
            continue

        when = dates[i]
        order = orders.get(number)
        if order is None:
            customer = customer_ids[i]
            order = OrderRecord(
                number=number,
                is_cancellation=is_cancellation,
                customer_id=None if customer is None else int(customer),
                country=(countries[i] or "").strip(),
                placed_at=dt.datetime.min,  # set below from the earliest row
            )
            orders[number] = order
            order_first[number] = when
        elif when < order_first[number]:
            order_first[number] = when
        if order.customer_id is not None:
            customer_countries[order.customer_id][order.country] += 1

        units = abs(quantity)
        if not is_product:
            order.charges.append(ChargeRecord(code, text[:200] or code, units * pence))
            continue
        order.lines.append(LineRecord(code, text, units, pence))
        price_counts[code][pence] += 1
        if is_cancellation:
            cancelled[code] += units
        else:
            ordered[code] += units
            if code not in first_sold or when < first_sold[code]:
                first_sold[code] = when
        if code not in first_seen or when < first_seen[code]:
            first_seen[code] = when

    for number, order in orders.items():
        order.placed_at = _local(order_first[number])
    data.orders = sorted(orders.values(), key=lambda o: (o.placed_at, o.number))
    for number in invoice_rows.keys() - orders.keys():
        data.skipped_invoices[number] = invoice_rows[number]

    data.codes_without_sales = sorted(_product_codes(codes) - price_counts.keys())
    for code in sorted(price_counts):
        title, aliases = rules.choose_name(spellings.get(code, Counter()))
        named_from_code = title is None
        if title is None:
            title = f"Product {code}"
        when = first_sold.get(code, first_seen[code])
        data.products[code] = ProductRecord(
            code=code,
            name=title[:200],
            aliases=aliases,
            price_pence=rules.mode_price(price_counts[code]),
            first_sold=_local(when),
            units_sold=max(0, ordered[code] - cancelled[code]),
            categories=rules.categories_for(title),
            attributes=rules.attributes_for(title),
            stock=rules.stock_quantity(code),
            named_from_code=named_from_code,
        )
    # Lines keep the spelling used on the invoice when it is a name, else the product title.
    for order in data.orders:
        for line in order.lines:
            if not rules.is_product_name(line.name):
                line.name = data.products[line.code].name
            line.name = line.name[:200]
    _choose_featured(data)

    joined: dict[int, dt.datetime] = {}
    for order in data.orders:  # in date order: the first seen is the first invoice
        if order.customer_id is not None:
            joined.setdefault(order.customer_id, order.placed_at)
    for customer_id, seen_in in sorted(customer_countries.items()):
        country = min(seen_in.items(), key=lambda item: (-item[1], item[0]))[0]
        first, last, email = rules.customer_identity(customer_id)
        data.customers[customer_id] = CustomerRecord(
            str(customer_id), first, last, email, country, joined[customer_id]
        )
    return data


def _product_codes(codes: list[str]) -> set[str]:
    return {c.strip().upper() for c in set(codes) if c.strip()[:1].isdigit()}


def _choose_featured(data: ParsedData) -> None:
    """Feature the best sellers among products first sold in the data's last RECENT_DAYS
    days (most units first, then code); fill up with the best sellers overall if needed.
    Only products in stock: a shop window does not show what cannot be bought."""
    if not data.products:
        return
    since = max(o.placed_at for o in data.orders) - dt.timedelta(days=RECENT_DAYS)
    in_stock = [p for p in data.products.values() if p.stock > 0]
    by_sales = sorted(in_stock, key=lambda p: (-p.units_sold, p.code))
    recent = [p for p in by_sales if p.first_sold >= since and p.units_sold > 0]
    chosen = {p.code for p in recent[:FEATURED_COUNT]}
    for product in by_sales:
        if len(chosen) >= FEATURED_COUNT:
            break
        chosen.add(product.code)
    for code in chosen:
        data.products[code].is_featured = True
