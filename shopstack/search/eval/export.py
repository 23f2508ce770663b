"""Write a shop's catalogue as a judgement set's `products.csv` (the catalog CSV format).

Used to regenerate the demo judgement set from a database where `import_demo` ran:

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python manage.py import_demo --no-images
    DATABASE_URL=sqlite:////tmp/demo.sqlite3 .venv/bin/python -m shopstack.search.eval export-demo

The format keeps one category per product (its main category, as a path) and one value per
attribute, so what `import_catalog` builds from the file is the demo shop less its secondary
categories and second colours; both the engine and the baseline see that same catalogue.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.db.models import Sum

from shopstack.catalog.importing.columns import CANONICAL_COLUMNS
from shopstack.catalog.models import Category, Product
from shopstack.inventory.models import Stock

# The export writes exactly the columns import_catalog reads, in its order.
COLUMNS = list(CANONICAL_COLUMNS)
# The demo shop calls the attribute "colour"; the catalog CSV format calls the column "color".
ATTRIBUTE_COLUMNS = {"colour": "color", "color": "color", "material": "material"}


def _category_paths() -> dict[int, str]:
    categories = {c.pk: c for c in Category.objects.all()}
    paths: dict[int, str] = {}
    for pk, category in categories.items():
        names = []
        node: Category | None = category
        while node is not None:
            names.append(node.name)
            node = categories.get(node.parent_id) if node.parent_id else None
        paths[pk] = " > ".join(reversed(names))
    return paths


def catalog_rows() -> Iterator[dict[str, str]]:
    """One row per variant of every published product, in product code then SKU order."""
    paths = _category_paths()
    stock = dict(
        Stock.objects.values("variant_id").annotate(total=Sum("quantity")).values_list("variant_id", "total")
    )
    products = (
        Product.objects.filter(is_published=True)
        .prefetch_related("variants", "attribute_values__attribute")
        .order_by("code")
    )
    for product in products:
        attributes: dict[str, str] = {}
        for value in sorted(product.attribute_values.all(), key=lambda v: (v.attribute.slug, v.position)):
            column = ATTRIBUTE_COLUMNS.get(value.attribute.slug, f"attr:{value.attribute.slug}")
            attributes.setdefault(column, value.name)  # the format holds one value per attribute
        for index, variant in enumerate(sorted(product.variants.all(), key=lambda v: v.sku)):
            first = index == 0
            yield {
                "sku": variant.sku,
                "product_code": product.code,
                "title": product.name if first else "",
                "description": product.description if first else "",
                "category": paths.get(product.category_id, "") if product.category_id else "",
                "price": str(product.price_amount if variant.price_amount is None else variant.price_amount),
                "currency": variant.currency or product.currency,
                "stock": str(stock.get(variant.pk, 0)),
                "color": attributes.get("color", ""),
                "material": attributes.get("material", ""),
                "aliases": "|".join(product.search_aliases or []) if first else "",
                "variant_name": variant.name,
                "weight_grams": "" if variant.weight_grams is None else str(variant.weight_grams),
                "published": "true",
                "units_sold": str(product.units_sold),
            }


def catalog_export(path: Path) -> int:
    """Write products.csv at `path`; answers the number of rows written."""
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in catalog_rows():
            writer.writerow(row)
            count += 1
    return count
