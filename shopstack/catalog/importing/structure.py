"""What products hang on, held in memory for the whole import: the category tree, attributes
and their values, the product type and the default warehouse.

Each is read once and created on first use, so a row costs no query for them. In a dry
run nothing is created: what would be gets a negative stand-in id, so later rows see it
as already there, the way a real run would.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from django.utils.text import slugify

from shopstack.catalog.importing.inserts import insert_rows, select_pairs
from shopstack.catalog.importing.rows import cached_slug
from shopstack.catalog.models import Attribute, AttributeValue, Category, ProductType
from shopstack.inventory.models import Warehouse

DEFAULT_WAREHOUSE_SLUG = "main"  # the warehouse `import_demo` and the test factories stock
PRODUCT_TYPE_SLUG = "standard"
UNCATEGORISED = "Uncategorised"
ATTRIBUTE_NAMES = {"color": "Color", "material": "Material"}


class Structure:
    def __init__(self, *, dry_run: bool) -> None:
        self.dry_run = dry_run
        self._stand_ins: Iterator[int] = itertools.count(-1, -1)
        self.categories_created = 0
        self.attribute_values_created = 0
        # (parent id, slugified name) -> category id; the tree is small next to the catalog.
        self._categories: dict[tuple[int | None, str], int] = {}
        self._category_slugs: set[str] = set()
        for pk, parent_id, name, slug in Category.objects.values_list("pk", "parent_id", "name", "slug"):
            self._categories.setdefault((parent_id, slugify(name)), pk)
            self._category_slugs.add(slug)
        self._attributes: dict[str, int] = dict(Attribute.objects.values_list("slug", "pk"))
        self._values: dict[tuple[int, str], int] = {}
        self.value_attribute: dict[int, int] = {}  # attribute value id -> attribute id
        for pk, attribute_id, slug in AttributeValue.objects.values_list("pk", "attribute_id", "slug"):
            self._values[(attribute_id, slug)] = pk
            self.value_attribute[pk] = attribute_id
        self._product_type: int | None = None
        self._warehouse: int | None = None
        self.warehouse_active = True

    def _stand_in(self) -> int:
        return next(self._stand_ins)

    # --- categories ---------------------------------------------------------------------

    def category(self, path: tuple[str, ...]) -> int:
        """The id of the path's leaf category, creating missing levels (slugified names)."""
        parent_id: int | None = None
        for depth, name in enumerate(path):
            key = (parent_id, cached_slug(name))
            if key not in self._categories:
                self._categories[key] = self._create_category(name, parent_id, path[: depth + 1])
            parent_id = self._categories[key]
        assert parent_id is not None
        return parent_id

    def prepare_categories(self, paths: Iterable[tuple[str, ...]]) -> None:
        """Create the categories that `paths` lack, a level at a time with one insert per
        level, so that `category()` then finds every one of them in memory."""
        wanted = set(paths)
        depth = 0
        while True:
            missing: dict[tuple[int | None, str], tuple[str, tuple[str, ...]]] = {}
            for path in wanted:
                if len(path) <= depth:
                    continue
                parent_id = self._parent_of(path[:depth])
                key = (parent_id, cached_slug(path[depth]))
                if key not in self._categories and (parent_id is None or parent_id > 0):
                    missing.setdefault(key, (path[depth], path[: depth + 1]))
            if not missing and all(len(path) <= depth for path in wanted):
                return
            if missing and not self.dry_run:
                rows = {
                    self._free_slug([slugify(name)[:128], slugify(" ".join(path))[:128]]): (key, name)
                    for key, (name, path) in missing.items()
                }
                insert_rows(
                    Category,
                    (
                        {"name": name, "slug": slug, "parent_id": key[0], "is_published": True}
                        for slug, (key, name) in rows.items()
                    ),
                )
                for slug, pk in select_pairs(Category, "slug", "id", list(rows)).items():
                    self._categories[rows[slug][0]] = pk
                self.categories_created += len(rows)
            depth += 1

    def _parent_of(self, path: tuple[str, ...]) -> int | None:
        parent_id: int | None = None
        for name in path:
            parent_id = self._categories.get((parent_id, cached_slug(name)), 0)
            if not parent_id:
                return 0  # not there (a dry run): its children are stand-ins too
        return parent_id

    def uncategorised(self) -> int:
        return self.category((UNCATEGORISED,))

    def _create_category(self, name: str, parent_id: int | None, path: tuple[str, ...]) -> int:
        self.categories_created += 1
        # Slugs are unique across the tree: "Candles" under two parents needs its path.
        slug = self._free_slug([slugify(name)[:128], slugify(" ".join(path))[:128]])
        if self.dry_run:
            return self._stand_in()
        category = Category.objects.create(name=name, slug=slug, parent_id=parent_id, is_published=True)
        return category.pk

    def _free_slug(self, candidates: list[str]) -> str:
        for slug in candidates:
            if slug not in self._category_slugs:
                break
        else:
            base = candidates[-1][:120]
            slug = next(
                f"{base}-{n}" for n in itertools.count(2) if f"{base}-{n}" not in self._category_slugs
            )
        self._category_slugs.add(slug)
        return slug

    # --- attributes ---------------------------------------------------------------------

    def attribute_value(self, attribute_slug: str, name: str) -> int:
        attribute_id = self._attributes.get(attribute_slug)
        if attribute_id is None:
            attribute_id = self._create_attribute(attribute_slug)
        key = (attribute_id, cached_slug(name)[:64])
        value_id = self._values.get(key)
        if value_id is None:
            self.attribute_values_created += 1
            if self.dry_run or attribute_id < 0:
                value_id = self._stand_in()
            else:
                value_id = AttributeValue.objects.create(attribute_id=attribute_id, name=name, slug=key[1]).pk
            self._values[key] = value_id
            self.value_attribute[value_id] = attribute_id
        return value_id

    def attribute_id(self, attribute_slug: str) -> int | None:
        return self._attributes.get(attribute_slug)

    def _create_attribute(self, slug: str) -> int:
        name = ATTRIBUTE_NAMES.get(slug, slug.replace("-", " ").replace("_", " ").capitalize())
        if self.dry_run:
            pk = self._stand_in()
        else:
            attribute = Attribute.objects.create(slug=slug, name=name, filterable=True)
            pk = attribute.pk
            ProductType.objects.get(pk=self.product_type()).product_attributes.add(attribute)
        self._attributes[slug] = pk
        return pk

    # --- product type and warehouse ------------------------------------------------------

    def product_type(self) -> int:
        if self._product_type is None:
            found = ProductType.objects.filter(slug=PRODUCT_TYPE_SLUG).values_list("pk", flat=True).first()
            if found is None and not self.dry_run:
                found = ProductType.objects.create(
                    slug=PRODUCT_TYPE_SLUG, name="Standard", has_variants=True
                ).pk
            self._product_type = found if found is not None else self._stand_in()
        return self._product_type

    def warehouse(self) -> int:
        """The default warehouse: "main", created like `import_demo` creates it if missing."""
        if self._warehouse is None:
            found = (
                Warehouse.objects.filter(slug=DEFAULT_WAREHOUSE_SLUG).values_list("pk", "is_active").first()
            )
            if found is None and not self.dry_run:
                warehouse = Warehouse.objects.create(
                    slug=DEFAULT_WAREHOUSE_SLUG, name="Main warehouse", country="GB"
                )
                found = (warehouse.pk, warehouse.is_active)
            self._warehouse, self.warehouse_active = found if found is not None else (self._stand_in(), True)
        return self._warehouse
