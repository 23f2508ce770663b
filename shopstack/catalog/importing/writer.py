"""Write one batch of checked rows: create or update products, variants, their categories,
attribute values and stock, by SKU, with a fixed number of queries per batch.

First the batch is planned against what the database holds (a handful of `__in`
lookups), then, unless it is a dry run, written with bulk inserts and updates. Products
that changed are refreshed by `products_refresh`, which moves their `updated_at` (page
caches and the search index key on it). The caller runs each batch in a transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shopstack.catalog.importing.inserts import insert_rows, select_pairs
from shopstack.catalog.importing.rows import CatalogRow, RowError, cached_slug
from shopstack.catalog.importing.structure import Structure
from shopstack.catalog.models import Product, ProductVariant
from shopstack.catalog.services import products_refresh
from shopstack.inventory.models import Stock

PRODUCT_FIELDS = (
    "name",
    "description",
    "category_id",
    "search_aliases",
    "is_published",
    "units_sold",
    "currency",
)


@dataclass
class BatchOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    products_created: int = 0
    products_updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def invalid_rows(self) -> int:
        return len({error.row for error in self.errors})


@dataclass(slots=True)
class _Variant:
    pk: int
    product_id: int
    product_code: str
    name: str
    price: Decimal
    currency: str
    weight_grams: int | None


@dataclass
class _Plan:
    """What one batch changes. Products are keyed by code and variants by SKU, so that new
    ones (with no id yet, or none at all in a dry run) are handled like existing ones."""

    new_products: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> column values
    changed_products: dict[str, Product] = field(default_factory=dict)
    changed_product_fields: set[str] = field(default_factory=set)
    moved_from: dict[str, int] = field(default_factory=dict)  # code -> previous main category
    newly_published: set[int] = field(default_factory=set)
    new_variants: dict[str, dict[str, Any]] = field(default_factory=dict)  # sku -> column values
    new_variant_stock: dict[str, int] = field(default_factory=dict)
    new_variant_code: dict[str, str] = field(default_factory=dict)  # sku -> product code
    changed_variants: list[ProductVariant] = field(default_factory=list)
    changed_variant_fields: set[str] = field(default_factory=set)
    new_stocks: list[dict[str, Any]] = field(default_factory=list)
    changed_stocks: list[Stock] = field(default_factory=list)
    category_adds: list[tuple[str, int]] = field(default_factory=list)  # (code, category id)
    category_deletes: list[int] = field(default_factory=list)  # link ids
    product_value_adds: list[tuple[str, int]] = field(default_factory=list)  # (code, value id)
    product_value_deletes: list[int] = field(default_factory=list)
    variant_value_adds: list[tuple[str, int]] = field(default_factory=list)  # (sku, value id)
    variant_value_deletes: list[int] = field(default_factory=list)
    created_rows: set[int] = field(default_factory=set)
    touched_rows: set[int] = field(default_factory=set)
    touched_products: set[str] = field(default_factory=set)

    def touch(self, row: CatalogRow) -> None:
        self.touched_rows.add(row.row)
        self.touched_products.add(row.product_code)


class BatchWriter:
    def __init__(self, structure: Structure, *, dry_run: bool, may_change_price: bool = True) -> None:
        self.structure = structure
        self.dry_run = dry_run
        self.may_change_price = may_change_price
        # Product codes a dry run would have created in earlier batches.
        self._planned_products: set[str] = set()
        self.started = timezone.now()

    def write(self, rows: list[CatalogRow]) -> BatchOutcome:
        outcome = BatchOutcome()
        codes = sorted({row.product_code for row in rows})
        products = {
            p["code"]: p
            for p in Product.objects.filter(code__in=codes).values(
                "id", "code", "published_at", "created_at", *PRODUCT_FIELDS
            )
        }
        variants = self._variants([row.sku for row in rows])
        rows = self._drop_moved_variants(rows, variants, outcome)
        if not self.may_change_price:
            rows = self._drop_price_changes(rows, variants, outcome)
        stocks = self._stocks([v.pk for v in variants.values()])
        rows = self._drop_stock_conflicts(rows, variants, stocks, outcome)

        plan = _Plan()
        first_rows = [row for row in rows if row.first_of_product]
        self.structure.prepare_categories(row.category for row in first_rows if row.category)
        for row in first_rows:
            self._plan_product(row, products.get(row.product_code), plan)
        self._plan_category_links(first_rows, products, plan)
        rows = self._drop_orphans(rows, products, plan, outcome)
        for row in rows:
            self._plan_variant(row, variants.get(row.sku), stocks, plan)
        self._plan_attribute_links(rows, plan)
        if not self.dry_run:
            self._apply(plan, products, variants)
        self._planned_products.update(plan.new_products)

        for row in rows:
            if row.row in plan.created_rows:
                outcome.created += 1
            elif row.row in plan.touched_rows:
                outcome.updated += 1
            else:
                outcome.unchanged += 1
        outcome.products_created = len(plan.new_products)
        # A product created by an earlier batch of this run is not counted as updated.
        created_here = {code for code, p in products.items() if p["created_at"] >= self.started}
        outcome.products_updated = len(plan.touched_products - set(plan.new_products) - created_here)
        return outcome

    # --- reading what is there ------------------------------------------------------------

    def _variants(self, skus: list[str]) -> dict[str, _Variant]:
        fields = (
            "pk",
            "sku",
            "product_id",
            "product__code",
            "name",
            "price_amount",
            "currency",
            "weight_grams",
        )
        query = ProductVariant.objects.filter(sku__in=skus).values_list(*fields)
        return {
            sku: _Variant(pk, product_id, code, name, price, currency, weight)
            for pk, sku, product_id, code, name, price, currency, weight in query
        }

    def _stocks(self, variant_ids: list[int]) -> dict[int, Stock]:
        if not variant_ids:
            return {}
        query = Stock.objects.filter(variant_id__in=variant_ids, warehouse_id=self.structure.warehouse())
        if not self.dry_run:
            # Checked against allocated + reserved: hold the rows so no checkout moves them meanwhile.
            query = query.select_for_update().order_by("pk")
        fields = ("pk", "variant_id", "quantity", "allocated", "reserved")
        return {stock.variant_id: stock for stock in query.only(*fields)}

    def _drop_moved_variants(
        self, rows: list[CatalogRow], variants: dict[str, _Variant], outcome: BatchOutcome
    ) -> list[CatalogRow]:
        kept = []
        for row in rows:
            variant = variants.get(row.sku)
            if variant is not None and variant.product_code != row.product_code:
                message = (
                    f"the SKU {row.sku!r} is a variant of product {variant.product_code!r}; "
                    "a variant cannot move to another product."
                )
                outcome.errors.append(RowError(row.row, "product_code", message))
            else:
                kept.append(row)
        return kept

    def _drop_price_changes(
        self, rows: list[CatalogRow], variants: dict[str, _Variant], outcome: BatchOutcome
    ) -> list[CatalogRow]:
        """For staff without the price permission: a row may give a variant's price only as it is."""
        kept = []
        for row in rows:
            variant = variants.get(row.sku)
            if variant is None:
                message = (
                    "a new variant gets this price, and you may not set prices (the permission "
                    "'Can change variant prices'); the row was not imported."
                )
            elif (variant.price, variant.currency) != (row.price, row.currency):
                message = (
                    f"the price is {variant.price} {variant.currency} in the shop and you may not change "
                    "prices (the permission 'Can change variant prices'); the row was not imported."
                )
            else:
                kept.append(row)
                continue
            outcome.errors.append(RowError(row.row, "price", message))
        return kept

    def _drop_stock_conflicts(
        self,
        rows: list[CatalogRow],
        variants: dict[str, _Variant],
        stocks: dict[int, Stock],
        outcome: BatchOutcome,
    ) -> list[CatalogRow]:
        kept = []
        for row in rows:
            variant = variants.get(row.sku)
            stock = stocks.get(variant.pk) if variant is not None else None
            promised = stock.allocated + stock.reserved if stock is not None else 0
            if row.stock is not None and row.stock < promised:
                message = (
                    f"{row.stock} is below the {promised} units allocated to orders or reserved by "
                    "checkouts; the row was not imported."
                )
                outcome.errors.append(RowError(row.row, "stock", message))
            else:
                kept.append(row)
        return kept

    def _drop_orphans(
        self, rows: list[CatalogRow], products: dict[str, Any], plan: _Plan, outcome: BatchOutcome
    ) -> list[CatalogRow]:
        """Rows whose product exists nowhere: its first row in the file was refused."""
        kept = []
        for row in rows:
            code = row.product_code
            if code in products or code in plan.new_products or code in self._planned_products:
                kept.append(row)
            else:
                message = f"product {code!r} was not imported (its first row has errors)."
                outcome.errors.append(RowError(row.row, "product_code", message))
        return kept

    # --- planning ---------------------------------------------------------------------------

    def _plan_product(self, row: CatalogRow, product: dict[str, Any] | None, plan: _Plan) -> None:
        structure = self.structure
        wanted: dict[str, Any] = {"name": row.title, "currency": row.currency}
        if row.description is not None:
            wanted["description"] = row.description
        if row.category is not None:
            wanted["category_id"] = structure.category(row.category)
        if row.aliases is not None:
            wanted["search_aliases"] = row.aliases
        if row.published is not None:
            wanted["is_published"] = row.published
        if row.units_sold is not None:
            wanted["units_sold"] = row.units_sold
        if product is None:
            if "category_id" not in wanted:
                wanted["category_id"] = structure.uncategorised()
            wanted.setdefault("is_published", True)
            wanted["published_at"] = timezone.now() if wanted["is_published"] else None
            wanted |= {"code": row.product_code, "product_type_id": structure.product_type()}
            plan.new_products[row.product_code] = wanted
            plan.touched_products.add(row.product_code)
            return
        changed = [name for name, value in wanted.items() if product[name] != value]
        if not changed:
            return
        if "category_id" in changed:
            plan.moved_from[row.product_code] = product["category_id"]
        product.update((name, wanted[name]) for name in changed)
        if "is_published" in changed and product["is_published"] and product["published_at"] is None:
            plan.newly_published.add(product["id"])
        plan.changed_product_fields.update(changed)
        plan.changed_products[row.product_code] = Product(
            pk=product["id"], **{name: product[name] for name in PRODUCT_FIELDS}
        )
        plan.touch(row)

    def _plan_category_links(
        self, first_rows: list[CatalogRow], products: dict[str, dict[str, Any]], plan: _Plan
    ) -> None:
        """The main category is always among the product's categories. A product that moves
        leaves its old main category; other categories staff gave it stay."""
        existing_ids = [
            products[row.product_code]["id"] for row in first_rows if row.product_code in products
        ]
        linked: dict[int, dict[int, int]] = defaultdict(dict)  # product -> category -> link id
        if existing_ids:
            through = Product.categories.through.objects.filter(product_id__in=existing_ids)
            for pk, product_id, category_id in through.values_list("pk", "product_id", "category_id"):
                linked[product_id][category_id] = pk
        for row in first_rows:
            code = row.product_code
            product = plan.new_products.get(code) or products[code]
            links = linked.get(product.get("id", 0), {})
            if product["category_id"] not in links:
                plan.category_adds.append((code, product["category_id"]))
                if "id" in product:
                    plan.touch(row)
            old = plan.moved_from.get(code)
            if old is not None and old in links:
                plan.category_deletes.append(links[old])
                plan.touch(row)

    def _plan_variant(
        self, row: CatalogRow, variant: _Variant | None, stocks: dict[int, Stock], plan: _Plan
    ) -> None:
        if variant is None:
            plan.new_variants[row.sku] = {
                "sku": row.sku,
                "name": row.variant_name or "",
                "price_amount": row.price,
                "currency": row.currency,
                "weight_grams": row.weight_grams,
            }
            plan.new_variant_stock[row.sku] = row.stock or 0
            plan.new_variant_code[row.sku] = row.product_code
            plan.created_rows.add(row.row)
            plan.touched_products.add(row.product_code)
            return
        current = {
            "price_amount": variant.price,
            "currency": variant.currency,
            "name": variant.name,
            "weight_grams": variant.weight_grams,
        }
        wanted: dict[str, Any] = {"price_amount": row.price, "currency": row.currency}
        if row.variant_name is not None:
            wanted["name"] = row.variant_name
        if row.weight_grams is not None:
            wanted["weight_grams"] = row.weight_grams
        changed = [name for name, value in wanted.items() if current[name] != value]
        if changed:
            current.update(wanted)
            plan.changed_variants.append(ProductVariant(pk=variant.pk, updated_at=timezone.now(), **current))
            plan.changed_variant_fields.update(changed)
            plan.touch(row)
        if row.stock is None:
            return
        stock = stocks.get(variant.pk)
        if stock is None:
            plan.new_stocks.append(
                {"variant_id": variant.pk, "warehouse_id": self.structure.warehouse(), "quantity": row.stock}
            )
            plan.touch(row)
        elif stock.quantity != row.stock:
            stock.quantity = row.stock
            plan.changed_stocks.append(stock)
            plan.touch(row)

    def _plan_attribute_links(self, rows: list[CatalogRow], plan: _Plan) -> None:
        """A row's attribute cells replace its variant's values of those attributes. The product
        then shows, for each attribute its variants have values of, the union of those values."""
        with_values = [row for row in rows if row.attributes]
        if not with_values:
            return
        attribute_of = self.structure.value_attribute
        codes = sorted({row.product_code for row in with_values} - set(plan.new_products))
        before: dict[str, dict[int, int]] = defaultdict(dict)  # sku -> value -> link id
        product_of: dict[str, str] = {}  # sku -> product code
        variant_links = ProductVariant.attribute_values.through.objects.filter(
            productvariant__product__code__in=codes
        ).values_list("pk", "productvariant__sku", "attributevalue_id", "productvariant__product__code")
        for link_id, sku, value_id, code in variant_links if codes else ():
            before[sku][value_id] = link_id
            product_of[sku] = code
        after = {sku: set(links) for sku, links in before.items()}
        for row in with_values:
            wanted = {self.structure.attribute_value(slug, name) for slug, name in row.attributes.items()}
            replaced = {attribute_of[value_id] for value_id in wanted}
            links = before.get(row.sku, {})
            after[row.sku] = {v for v in links if attribute_of[v] not in replaced} | wanted
            product_of[row.sku] = row.product_code
            removed = [link_id for value_id, link_id in links.items() if value_id not in after[row.sku]]
            added = after[row.sku] - set(links)
            if removed or added:
                plan.variant_value_deletes += removed
                plan.variant_value_adds += [(row.sku, value_id) for value_id in sorted(added)]
                plan.touch(row)

        union: dict[str, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        for sku, values in after.items():
            for value_id in values:
                union[product_of[sku]][attribute_of[value_id]].add(value_id)
        shown: dict[str, dict[int, int]] = defaultdict(dict)  # code -> value -> link id
        product_links = Product.attribute_values.through.objects.filter(product__code__in=codes).values_list(
            "pk", "product__code", "attributevalue_id"
        )
        for link_id, code, value_id in product_links if codes else ():
            shown[code][value_id] = link_id
        rows_of: dict[str, list[CatalogRow]] = defaultdict(list)
        for row in with_values:
            rows_of[row.product_code].append(row)
        for code, by_attribute in union.items():
            links = shown.get(code, {})
            changed = False
            for attribute_id, values in by_attribute.items():
                for value_id, link_id in links.items():
                    if attribute_of.get(value_id) == attribute_id and value_id not in values:
                        plan.product_value_deletes.append(link_id)
                        changed = True
                for value_id in sorted(values - set(links)):
                    plan.product_value_adds.append((code, value_id))
                    changed = True
            if changed and code not in plan.new_products:
                for row in rows_of[code]:
                    plan.touch(row)

    # --- writing ------------------------------------------------------------------------------

    def _apply(self, plan: _Plan, products: dict[str, dict[str, Any]], variants: dict[str, _Variant]) -> None:
        product_ids = {code: p["id"] for code, p in products.items()}
        if plan.new_products:
            self._set_slugs(plan)
            self._set_listing_fields(plan)
            insert_rows(Product, plan.new_products.values())
            product_ids |= self._ids(Product, "code", list(plan.new_products))
        variant_ids = {sku: v.pk for sku, v in variants.items()}
        if plan.new_variants:
            for sku, values in plan.new_variants.items():
                values["product_id"] = product_ids[plan.new_variant_code[sku]]
            insert_rows(ProductVariant, plan.new_variants.values())
            variant_ids |= self._ids(ProductVariant, "sku", list(plan.new_variants))
        if plan.changed_variants:
            fields = [*sorted(plan.changed_variant_fields), "updated_at"]
            ProductVariant.objects.bulk_update(plan.changed_variants, fields)
        warehouse_id = self.structure.warehouse()
        insert_rows(
            Stock,
            plan.new_stocks
            + [
                {"variant_id": variant_ids[sku], "warehouse_id": warehouse_id, "quantity": quantity}
                for sku, quantity in plan.new_variant_stock.items()
            ],
        )
        if plan.changed_stocks:
            for stock in plan.changed_stocks:
                stock.updated_at = timezone.now()
            Stock.objects.bulk_update(plan.changed_stocks, ["quantity", "updated_at"])
        if plan.changed_products:
            Product.objects.bulk_update(
                list(plan.changed_products.values()), sorted(plan.changed_product_fields)
            )
        if plan.newly_published:
            Product.objects.filter(pk__in=plan.newly_published, published_at__isnull=True).update(
                published_at=timezone.now()
            )

        categories = Product.categories.through
        product_values = Product.attribute_values.through
        variant_values = ProductVariant.attribute_values.through
        for through, link_ids in (
            (categories, plan.category_deletes),
            (product_values, plan.product_value_deletes),
            (variant_values, plan.variant_value_deletes),
        ):
            if link_ids:
                through.objects.filter(pk__in=link_ids).delete()
        insert_rows(
            categories,
            ({"product_id": product_ids[code], "category_id": cid} for code, cid in plan.category_adds),
        )
        insert_rows(
            product_values,
            (
                {"product_id": product_ids[code], "attributevalue_id": v}
                for code, v in plan.product_value_adds
            ),
        )
        insert_rows(
            variant_values,
            (
                {"productvariant_id": variant_ids[sku], "attributevalue_id": v}
                for sku, v in plan.variant_value_adds
            ),
        )
        # New products got their listing price and stock flag when inserted.
        refresh = plan.touched_products - set(plan.new_products)
        products_refresh(product_ids=sorted(product_ids[code] for code in refresh))

    def _set_listing_fields(self, plan: _Plan) -> None:
        """What `products_refresh` would compute, for products whose variants are all new here."""
        for sku, values in plan.new_variants.items():
            product = plan.new_products.get(plan.new_variant_code[sku])
            if product is None:
                continue
            price = values["price_amount"]
            product["price_amount"] = min(product.get("price_amount", price), price)
            product["in_stock"] = product.get("in_stock", False) or (
                plan.new_variant_stock[sku] > 0 and self.structure.warehouse_active
            )

    @staticmethod
    def _ids(model: Any, key: str, values: list[str]) -> dict[str, int]:
        return select_pairs(model, key, "id", values)

    def _set_slugs(self, plan: _Plan) -> None:
        """Slugs from the title; the product code is added when the title's slug is taken."""
        new = plan.new_products
        bases = {
            code: cached_slug(values["name"])[:200] or cached_slug(code) or "product"
            for code, values in new.items()
        }
        fallbacks = {code: f"{base}-{cached_slug(code)}"[:220] for code, base in bases.items()}
        wanted = set(bases.values()) | set(fallbacks.values())
        taken = set(select_pairs(Product, "slug", "slug", wanted))
        for code, values in new.items():
            slug = bases[code]
            if slug in taken:
                slug, n = fallbacks[code], 2
                while slug in taken:  # rare: the title+code slug is taken too
                    slug, n = f"{fallbacks[code][:210]}-{n}", n + 1
                    if Product.objects.filter(slug=slug).exists():
                        taken.add(slug)
            taken.add(slug)
            values["slug"] = slug
