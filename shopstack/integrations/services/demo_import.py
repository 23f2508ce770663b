"""Build the demo shop from the Online Retail data: catalogue, stock, images, customers and
order history.

Every phase looks up what is already there by its natural key (category and attribute
slugs, product codes, customer emails, order numbers) and writes only what is missing,
in one transaction per phase, with bulk inserts. A second run therefore writes nothing.
The rules for reading rows live in `retail_parse` and `retail_rules`; docs/demo-data.md
describes them.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify
from tqdm import tqdm

from shopstack.catalog.media import RENDITION_WIDTHS, placeholder_image, rendition_name
from shopstack.catalog.models import (
    Attribute,
    AttributeValue,
    Category,
    Product,
    ProductMedia,
    ProductType,
    ProductVariant,
)
from shopstack.catalog.services import products_refresh
from shopstack.integrations.services import retail_rules as rules
from shopstack.integrations.services.retail_parse import ParsedData, parse_transactions, read_table
from shopstack.inventory.models import Stock, Warehouse
from shopstack.orders.models import Order, OrderCharge, OrderLine

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "demo_data" / "online-retail" / "transactions.parquet"
IMPORT_SOURCE = "import"
WAREHOUSE_SLUG = "main"
PRODUCT_TYPE_SLUG = "gift"
BATCH_SIZE = 1000
LOOKUP_CHUNK = 5000  # values per `__in` lookup, well under SQLite's variable limit


@dataclass
class ImportReport:
    rows: int = 0
    products_in_data: int = 0
    products_created: int = 0
    products_with_aliases: int = 0
    aliases: int = 0
    featured: int = 0
    out_of_stock: int = 0
    categories_created: int = 0
    categories_used: int = 0
    attribute_values_created: int = 0
    images_created: int = 0
    customers_in_data: int = 0
    customers_created: int = 0
    orders_in_data: int = 0
    orders_created: int = 0
    cancellations_created: int = 0
    guest_orders_created: int = 0
    lines_created: int = 0
    charges_created: int = 0
    skipped_rows: Counter[str] = field(default_factory=Counter)
    invoices_without_rows: int = 0
    ignored_descriptions: Counter[str] = field(default_factory=Counter)
    codes_without_sales: list[str] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0

    @property
    def changed(self) -> bool:
        created = (
            self.products_created + self.categories_created + self.attribute_values_created
            + self.images_created + self.customers_created + self.orders_created
        )  # fmt: skip
        return bool(created or self.deleted)

    def as_text(self) -> str:
        lines = [
            f"Rows read:            {self.rows:,}",
            f"Products:             {self.products_in_data:,} in data, {self.products_created:,} created "
            f"({self.featured} featured, {self.out_of_stock} out of stock)",
            f"Search aliases:       {self.aliases:,} on {self.products_with_aliases:,} products",
            f"Categories:           {self.categories_used} used, {self.categories_created} created",
            f"Attribute values:     {self.attribute_values_created} created",
            f"Images:               {self.images_created:,} products given placeholder images",
            f"Customers:            {self.customers_in_data:,} in data, {self.customers_created:,} created",
            f"Orders:               {self.orders_in_data:,} in data, {self.orders_created:,} created, "
            f"of which {self.cancellations_created:,} cancellations, "
            f"{self.guest_orders_created:,} guest orders",
            f"Order lines/charges:  {self.lines_created:,} lines, {self.charges_created:,} charges created",
            f"Skipped rows:         {sum(self.skipped_rows.values()):,}",
        ]
        lines += [f"  {count:>7,}  {reason}" for reason, count in self.skipped_rows.most_common()]
        lines.append(f"Invoices left with no importable row: {self.invoices_without_rows:,}")
        notes = self.ignored_descriptions
        examples = ", ".join(repr(text) for text, _ in notes.most_common(6))
        lines.append(
            f"Descriptions ignored as stock notes, not names: {len(notes):,} spellings on "
            f"{sum(notes.values()):,} rows (e.g. {examples})"
        )
        lines.append(
            f"Product codes seen only on skipped rows (not imported): {len(self.codes_without_sales):,}"
        )
        if self.deleted:
            lines.append("Reset deleted: " + ", ".join(f"{n:,} {what}" for what, n in self.deleted.items()))
        if not self.changed:
            lines.append("Nothing changed: the demo data was already imported.")
        lines.append(f"Elapsed: {self.elapsed:.1f} s")
        return "\n".join(lines)


def _chunks[T](items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(model: Any, field_name: str, values: Iterable[str], *other: str) -> dict[str, Any]:
    """Map each value of `field_name` found in the table to its id (or a row of `other`)."""
    found: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(values)), LOOKUP_CHUNK):
        rows = model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, "id", *other)
        for key, *rest in rows:
            found[key] = rest[0] if not other else tuple(rest)
    return found


def _bar(desc: str, total: int, enabled: bool, unit: str = "it") -> tqdm:
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, leave=True, dynamic_ncols=True)


def _pounds(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


# --- phases ---------------------------------------------------------------------------------


def _reset(data: ParsedData, report: ImportReport) -> None:
    """Delete what an earlier import wrote: imported orders, the data's products, and the
    customers it invented (matched by both email and customer number)."""
    with transaction.atomic():
        report.deleted["order lines"] = OrderLine.objects.filter(order__source=IMPORT_SOURCE).delete()[0]
        report.deleted["charges"] = OrderCharge.objects.filter(order__source=IMPORT_SOURCE).delete()[0]
        report.deleted["orders"] = (
            Order.objects.filter(source=IMPORT_SOURCE).delete()[1].get(Order._meta.label, 0)
        )
        codes = sorted(data.products)
        deleted = 0
        for chunk in _chunks(codes, LOOKUP_CHUNK):
            deleted += Product.objects.filter(code__in=chunk).delete()[1].get(Product._meta.label, 0)
        report.deleted["products"] = deleted
        emails = {c.email: c.external_id for c in data.customers.values()}
        user_model = get_user_model()
        ids = [
            user_id
            for email, (user_id, external_id) in _existing(user_model, "email", emails, "external_id").items()
            if emails[email] == external_id
        ]
        deleted = 0
        for chunk in _chunks(ids, LOOKUP_CHUNK):
            deleted += user_model.objects.filter(id__in=chunk).delete()[1].get(user_model._meta.label, 0)
        report.deleted["customers"] = deleted


@dataclass
class _Structure:
    categories: dict[str, Category]
    values: dict[tuple[str, str], int]
    product_type: ProductType
    warehouse: Warehouse


def _ensure_structure(report: ImportReport) -> _Structure:
    """Category tree, Colour and Material attributes, the Gift product type, the warehouse."""
    with transaction.atomic():
        wanted = [*rules.CATEGORY_GROUPS, *rules.CATEGORY_RULES, rules.FALLBACK_CATEGORY]
        categories = {c.slug: c for c in Category.objects.filter(slug__in=[r.slug for r in wanted])}
        for top_level in (True, False):
            missing = [
                Category(
                    slug=rule.slug,
                    name=rule.name,
                    parent=None if rule.parent is None else categories[rule.parent],
                    position=position,
                    is_published=True,
                    description=f"{rule.name}: gifts from the demo shop's catalogue.",
                )
                for position, rule in enumerate(wanted)
                if (rule.parent is None) == top_level and rule.slug not in categories
            ]
            for category in Category.objects.bulk_create(missing):
                categories[category.slug] = category
            report.categories_created += len(missing)

        values: dict[tuple[str, str], int] = {}
        attributes = []
        for attr_slug, (attr_name, choices) in rules.ATTRIBUTES.items():
            attribute, _ = Attribute.objects.get_or_create(
                slug=attr_slug, defaults={"name": attr_name, "filterable": True}
            )
            attributes.append(attribute)
            have = dict(AttributeValue.objects.filter(attribute=attribute).values_list("slug", "id"))
            missing_values = [
                AttributeValue(attribute=attribute, slug=slug, name=name, position=position)
                for position, (slug, name, _) in enumerate(choices)
                if slug not in have
            ]
            for value in AttributeValue.objects.bulk_create(missing_values):
                have[value.slug] = value.id
            report.attribute_values_created += len(missing_values)
            values.update({(attr_slug, slug): value_id for slug, value_id in have.items()})

        product_type, _ = ProductType.objects.get_or_create(
            slug=PRODUCT_TYPE_SLUG, defaults={"name": "Gift", "has_variants": False}
        )
        product_type.product_attributes.add(*attributes)
        warehouse, _ = Warehouse.objects.get_or_create(
            slug=WAREHOUSE_SLUG, defaults={"name": "Main warehouse", "country": "GB", "city": "London"}
        )
    return _Structure(categories, values, product_type, warehouse)


def _unique_slug(name: str, code: str, taken: set[str]) -> str:
    base = slugify(name)[:200] or slugify(code)
    slug = base if base not in taken else f"{base}-{slugify(code)}"
    n = 2
    while slug in taken:
        slug, n = f"{base}-{slugify(code)}-{n}", n + 1
    taken.add(slug)
    return slug


def _import_catalog(data: ParsedData, structure: _Structure, report: ImportReport, progress: bool) -> None:
    """Products, their single variant, categories, attribute values and stock."""
    records = data.products
    existing = _existing(Product, "code", records)
    new = [records[code] for code in sorted(records) if code not in existing]
    value_names = {
        (attr, slug): name for attr, (_, choices) in rules.ATTRIBUTES.items() for slug, name, _ in choices
    }
    with transaction.atomic(), _bar("Products", len(new) * 2, progress, "product") as bar:
        taken = set(Product.objects.values_list("slug", flat=True))
        products = []
        for record in new:
            name = rules.display_name(record.name)
            leaf_names = [structure.categories[slug].name for slug in record.categories]
            colours = [value_names[a] for a in record.attributes if a[0] == "colour"]
            materials = [value_names[a] for a in record.attributes if a[0] == "material"]
            description = rules.describe(name, leaf_names, colours, materials)
            products.append(
                Product(
                    product_type=structure.product_type,
                    code=record.code,
                    name=name,
                    slug=_unique_slug(name, record.code, taken),
                    description=description,
                    category=structure.categories[record.categories[0]],
                    search_aliases=record.aliases,
                    is_published=True,
                    is_featured=record.is_featured,
                    published_at=record.first_sold,
                    seo_title=name[:70],
                    seo_description=description[:300],
                    price_amount=_pounds(record.price_pence),
                    currency="GBP",
                    in_stock=record.stock > 0,
                    units_sold=record.units_sold,
                )
            )
        for chunk in _chunks(products, BATCH_SIZE):
            Product.objects.bulk_create(chunk)
            bar.update(len(chunk))
        product_ids = {p.code: p.id for p in products} | existing

        # Variants and stock for every product of the data that lacks them (normally the new ones).
        have_variant = _existing(ProductVariant, "sku", records)
        variants = [
            ProductVariant(product_id=product_ids[code], sku=code, price_amount=_pounds(rec.price_pence))
            for code, rec in sorted(records.items())
            if code not in have_variant
        ]
        for chunk in _chunks(variants, BATCH_SIZE):
            ProductVariant.objects.bulk_create(chunk)
            bar.update(len(chunk))
        variant_ids = {v.sku: v.id for v in variants} | have_variant
        stocked = set(
            Stock.objects.filter(warehouse=structure.warehouse).values_list("variant_id", flat=True)
        )
        stocks = [
            Stock(variant_id=variant_ids[code], warehouse=structure.warehouse, quantity=rec.stock)
            for code, rec in sorted(records.items())
            if variant_ids[code] not in stocked
        ]
        Stock.objects.bulk_create(stocks, batch_size=BATCH_SIZE)

        category_links = Product.categories.through
        value_links = Product.attribute_values.through
        category_links.objects.bulk_create(
            [
                category_links(product_id=p.id, category_id=structure.categories[slug].id)
                for p, rec in zip(products, new, strict=True)
                for slug in rec.categories
            ],
            batch_size=BATCH_SIZE,
        )
        value_links.objects.bulk_create(
            [
                value_links(product_id=p.id, attributevalue_id=structure.values[key])
                for p, rec in zip(products, new, strict=True)
                for key in rec.attributes
            ],
            batch_size=BATCH_SIZE,
        )
        # New products got their price and stock flag above; products that already existed but
        # were missing a variant or stock row (an interrupted import) are recomputed.
        new_stock = {s.variant_id for s in stocks}
        touched = {v.product_id for v in variants} | {
            product_ids[code] for code in records if variant_ids[code] in new_stock
        }
        products_refresh(product_ids=sorted(touched - {p.id for p in products}))
    report.products_created = len(new)


def _import_images(data: ParsedData, report: ImportReport, progress: bool) -> None:
    """A generated placeholder image in every rendition width for each product without media."""
    products = _existing(Product, "code", data.products, "name")
    with_media = set(
        ProductMedia.objects.filter(product_id__in=[pid for pid, _ in products.values()]).values_list(
            "product_id", flat=True
        )
    )
    todo = sorted((code, pid, name) for code, (pid, name) in products.items() if pid not in with_media)
    widths = sorted(RENDITION_WIDTHS)

    def render(code: str) -> list[tuple[str, bytes]]:
        base = f"products/{code}/{code}-w{widths[-1]}.png"
        return [(rendition_name(base, w), placeholder_image(code, w)) for w in widths]

    media = []
    # Drawing runs in two threads (Pillow releases the GIL while encoding); files are written
    # from this thread so that any storage backend works.
    with _bar("Images", len(todo), progress, "product") as bar, ThreadPoolExecutor(max_workers=2) as pool:
        for (_, product_id, name), files in zip(todo, pool.map(render, [t[0] for t in todo]), strict=True):
            for file_name, content in files:
                if not default_storage.exists(file_name):
                    default_storage.save(file_name, ContentFile(content))
            media.append(
                ProductMedia(product_id=product_id, image=files[-1][0], alt=name[:200], widths=widths)
            )
            bar.update(1)
    with transaction.atomic():
        ProductMedia.objects.bulk_create(media, batch_size=BATCH_SIZE)
    report.images_created = len(media)


def _import_customers(data: ParsedData, report: ImportReport, progress: bool) -> dict[int, tuple[int, str]]:
    """One account per customer number; returns customer number -> (user id, email)."""
    user_model = get_user_model()
    by_email = {c.email: customer_id for customer_id, c in data.customers.items()}
    existing = _existing(user_model, "email", by_email)
    new = [data.customers[by_email[email]] for email in sorted(by_email) if email not in existing]
    users = [
        user_model(
            email=c.email,
            first_name=c.first_name,
            last_name=c.last_name,
            country=c.country,
            external_id=c.external_id,
            password=make_password(None),
            is_active=True,
            date_joined=c.joined,
        )
        for c in new
    ]
    with transaction.atomic(), _bar("Customers", len(users), progress, "customer") as bar:
        for chunk in _chunks(users, BATCH_SIZE):
            user_model.objects.bulk_create(chunk)
            bar.update(len(chunk))
    report.customers_created = len(users)
    ids = existing | {u.email: u.id for u in users}
    return {customer_id: (ids[email], email) for email, customer_id in by_email.items()}


def _import_orders(
    data: ParsedData, customers: dict[int, tuple[int, str]], report: ImportReport, progress: bool
) -> None:
    existing = _existing(Order, "number", (o.number for o in data.orders))
    new = [o for o in data.orders if o.number not in existing]
    variant_ids = _existing(ProductVariant, "sku", data.products)
    orders = []
    for record in new:
        subtotal = sum(line.quantity * line.unit_pence for line in record.lines)
        charges = sum(charge.amount_pence for charge in record.charges)
        user_id, email = customers[record.customer_id] if record.customer_id is not None else (None, "")
        orders.append(
            Order(
                number=record.number,
                kind=Order.Kind.CANCELLATION if record.is_cancellation else Order.Kind.ORDER,
                status=Order.Status.CANCELLED if record.is_cancellation else Order.Status.COMPLETED,
                customer_id=user_id,
                email=email,
                country=record.country[:64],
                currency="GBP",
                subtotal_amount=_pounds(subtotal),
                charges_amount=_pounds(charges),
                total_amount=_pounds(subtotal + charges),
                placed_at=record.placed_at,
                source=IMPORT_SOURCE,
            )
        )
    line_count = sum(len(o.lines) for o in new)
    with transaction.atomic():
        with _bar("Orders", len(orders), progress, "order") as bar:
            for chunk in _chunks(orders, BATCH_SIZE):
                Order.objects.bulk_create(chunk)
                bar.update(len(chunk))
        lines: list[OrderLine] = []
        charges: list[OrderCharge] = []
        with _bar("Order lines", line_count, progress, "line") as bar:
            for order, record in zip(orders, new, strict=True):
                for line in record.lines:
                    lines.append(
                        OrderLine(
                            order_id=order.id,
                            variant_id=variant_ids.get(line.code),
                            sku=line.code,
                            product_name=line.name,
                            quantity=line.quantity,
                            unit_price_amount=_pounds(line.unit_pence),
                            total_amount=_pounds(line.quantity * line.unit_pence),
                        )
                    )
                for charge in record.charges:
                    charges.append(
                        OrderCharge(
                            order_id=order.id,
                            code=charge.code[:32],
                            description=charge.description,
                            amount=_pounds(charge.amount_pence),
                        )
                    )
                if len(lines) >= BATCH_SIZE * 5:
                    OrderLine.objects.bulk_create(lines, batch_size=BATCH_SIZE * 5)
                    bar.update(len(lines))
                    lines = []
            OrderLine.objects.bulk_create(lines, batch_size=BATCH_SIZE * 5)
            bar.update(len(lines))
        OrderCharge.objects.bulk_create(charges, batch_size=BATCH_SIZE)
    report.orders_created = len(orders)
    report.cancellations_created = sum(1 for o in new if o.is_cancellation)
    report.guest_orders_created = sum(1 for o in new if o.customer_id is None)
    report.lines_created = line_count
    report.charges_created = len(charges)


# --- entry point ----------------------------------------------------------------------------


def demo_import(
    *, path: Path = DEFAULT_PATH, reset: bool = False, images: bool = True, progress: bool = False
) -> ImportReport:
    """Import the Online Retail transactions at `path` into the shop (see docs/demo-data.md)."""
    started = time.perf_counter()
    table = read_table(path)
    with _bar("Reading rows", table.num_rows, progress, "row") as bar:
        data = parse_transactions(table, tick=bar.update)
    report = ImportReport(
        rows=data.rows,
        products_in_data=len(data.products),
        products_with_aliases=sum(1 for p in data.products.values() if p.aliases),
        aliases=sum(len(p.aliases) for p in data.products.values()),
        featured=sum(1 for p in data.products.values() if p.is_featured),
        out_of_stock=sum(1 for p in data.products.values() if p.stock == 0),
        categories_used=len({slug for p in data.products.values() for slug in p.categories}),
        customers_in_data=len(data.customers),
        orders_in_data=len(data.orders),
        skipped_rows=data.skipped,
        invoices_without_rows=len(data.skipped_invoices),
        ignored_descriptions=data.ignored_descriptions,
        codes_without_sales=data.codes_without_sales,
    )
    if reset:
        _reset(data, report)
    structure = _ensure_structure(report)
    _import_catalog(data, structure, report, progress)
    if images:
        _import_images(data, report, progress)
    customers = _import_customers(data, report, progress)
    _import_orders(data, customers, report, progress)
    report.elapsed = time.perf_counter() - started
    return report
