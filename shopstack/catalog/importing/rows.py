"""One CSV row -> a checked `CatalogRow`, or the list of what is wrong with it.

Only what can be told from the row itself is checked here; checks that need the database
or the rest of the file (duplicate SKUs, a variant of another product, stock promised to
orders) are made by the runner and the batch writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils.text import slugify

from shopstack.catalog.importing.columns import Columns
from shopstack.catalog.importing.currencies import ISO_4217
from shopstack.core.money import minor_units

MAX_SKU = 64
MAX_PRODUCT_CODE = 32
MAX_TITLE = 200
MAX_CATEGORY_NAME = 128
MAX_VARIANT_NAME = 128
MAX_ATTRIBUTE_VALUE = 64
MAX_PRICE = Decimal("9999999999.99")  # 12 digits, 2 places: the column's limit
MAX_INTEGER = 2_147_483_647  # PostgreSQL integer, what PositiveIntegerField is there
CATEGORY_SEPARATOR = ">"
ALIAS_SEPARATOR = "|"
TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})


@lru_cache(maxsize=65536)
def cached_slug(text: str) -> str:
    """`slugify`, remembered: category and attribute names repeat on most rows."""
    return slugify(text)


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


@dataclass(slots=True)
class CatalogRow:
    """A row that passed every check that needs nothing but the row. None = cell left empty."""

    row: int
    sku: str
    product_code: str
    price: Decimal
    currency: str
    title: str | None = None
    description: str | None = None
    category: tuple[str, ...] | None = None
    stock: int | None = None
    aliases: list[str] | None = None
    variant_name: str | None = None
    weight_grams: int | None = None
    published: bool | None = None
    units_sold: int | None = None
    attributes: dict[str, str] = field(default_factory=dict)  # attribute slug -> value name
    # Set by the runner: this row carries the product's own fields (its first row in the file).
    first_of_product: bool = False


def _price(text: str, currency: str) -> tuple[Decimal | None, str | None]:
    if any(letter in text for letter in "eE") or "," in text:
        return None, f"{text!r} is not a price; write it like 4.95."
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None, f"{text!r} is not a price; write it like 4.95."
    if not amount.is_finite():
        return None, f"{text!r} is not a price; write it like 4.95."
    if amount < 0:
        return None, f"{text} is negative; a price is 0 or more."
    places = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        return None, f"{text} has more than {places} decimal places."
    if amount > MAX_PRICE:
        return None, f"{text} is too large (at most {MAX_PRICE})."
    return amount, None


def _whole_number(text: str) -> tuple[int | None, str | None]:
    digits = text.removeprefix("+")
    if digits.isdigit() and digits.isascii():
        number = int(digits)
        if number > MAX_INTEGER:
            return None, f"{text} is too large."
        return number, None
    if text.startswith("-") and text[1:].isdigit():
        return None, f"{text} is negative; give 0 or more."
    return None, f"{text!r} is not a whole number."


def _category(text: str) -> tuple[tuple[str, ...] | None, str | None]:
    levels = tuple(level.strip() for level in text.split(CATEGORY_SEPARATOR))
    if any(not level for level in levels):
        return None, f"{text!r} has an empty level; separate levels with ' > '."
    for level in levels:
        if len(level) > MAX_CATEGORY_NAME:
            return None, f"the category name {level[:40]!r}... is longer than {MAX_CATEGORY_NAME} characters."
        if not cached_slug(level):
            return None, f"the category name {level!r} has no letters or digits."
    return levels, None


def parse_row(
    cells: list[str], columns: Columns, *, row: int, shop_currency: str
) -> CatalogRow | list[RowError]:
    """Check one row's cells. Returns the row, or every problem found in it."""
    if len(cells) > columns.width:
        return [RowError(row, "row", f"has {len(cells)} cells but the header has {columns.width}.")]
    index = columns.index
    errors: list[RowError] = []
    values: dict[str, str] = {}
    for column, position in index.items():
        text = cells[position].strip() if position < len(cells) else ""
        if text:
            values[column] = text

    def fail(column: str, message: str) -> None:
        errors.append(RowError(row, columns.label(column), message))

    sku = values.get("sku", "")
    if not sku:
        fail("sku", "missing; every row needs a SKU.")
    elif len(sku) > MAX_SKU:
        fail("sku", f"longer than {MAX_SKU} characters.")
    product_code = values.get("product_code", sku)
    if len(product_code) > MAX_PRODUCT_CODE:
        column = "product_code" if "product_code" in values else "sku"
        fail(column, f"a product code is at most {MAX_PRODUCT_CODE} characters (it defaults to the SKU).")

    currency = values.get("currency", shop_currency).upper()
    if currency not in ISO_4217:
        fail(
            "currency", f"unknown currency {values['currency']!r} (an ISO 4217 code such as {shop_currency})."
        )
    elif currency != shop_currency:
        fail(
            "currency", f"{currency} is not the shop's currency ({shop_currency}); convert the prices first."
        )

    price: Decimal | None = None
    if "price" not in values:
        fail("price", "missing.")
    else:
        price, problem = _price(values["price"], shop_currency)
        if problem:
            fail("price", problem)

    title = values.get("title")
    if title is not None and len(title) > MAX_TITLE:
        fail("title", f"longer than {MAX_TITLE} characters.")
    variant_name = values.get("variant_name")
    if variant_name is not None and len(variant_name) > MAX_VARIANT_NAME:
        fail("variant_name", f"longer than {MAX_VARIANT_NAME} characters.")

    category = None
    if "category" in values:
        category, problem = _category(values["category"])
        if problem:
            fail("category", problem)

    numbers: dict[str, int | None] = {}
    for column in ("stock", "weight_grams", "units_sold"):
        if column in values:
            numbers[column], problem = _whole_number(values[column])
            if problem:
                fail(column, problem)

    published = None
    if "published" in values:
        word = values["published"].lower()
        if word in TRUE_WORDS:
            published = True
        elif word in FALSE_WORDS:
            published = False
        else:
            fail("published", f"{values['published']!r} is not one of true/false/1/0/yes/no.")

    aliases = None
    if "aliases" in values:
        aliases = list(
            dict.fromkeys(a.strip() for a in values["aliases"].split(ALIAS_SEPARATOR) if a.strip())
        )

    attributes: dict[str, str] = {}
    for slug, position in columns.attributes.items():
        text = cells[position].strip() if position < len(cells) else ""
        if not text:
            continue
        column = columns.attribute_columns[slug]
        if len(text) > MAX_ATTRIBUTE_VALUE:
            fail(column, f"longer than {MAX_ATTRIBUTE_VALUE} characters.")
        elif not cached_slug(text):
            fail(column, f"{text!r} has no letters or digits.")
        else:
            attributes[slug] = text

    if errors or price is None:
        return errors
    return CatalogRow(
        row=row,
        sku=sku,
        product_code=product_code,
        price=price,
        currency=currency,
        title=title,
        description=values.get("description"),
        category=category,
        stock=numbers.get("stock"),
        aliases=aliases,
        variant_name=variant_name,
        weight_grams=numbers.get("weight_grams"),
        published=published,
        units_sold=numbers.get("units_sold"),
        attributes=attributes,
    )
