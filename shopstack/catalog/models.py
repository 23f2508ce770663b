"""The catalog: a category tree, product types with attributes, products and their variants."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from shopstack.core.models import TimeStampedModel


class Category(TimeStampedModel):
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(max_length=128)
    slug = models.SlugField(max_length=128, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    is_published = models.BooleanField(default=True)
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("position", "name")
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Attribute(models.Model):
    """A named property such as colour or material; values are shared across products."""

    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=64, unique=True)
    filterable = models.BooleanField(default=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class AttributeValue(models.Model):
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="values")
    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=64)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("attribute", "position", "name")
        constraints = [
            models.UniqueConstraint(fields=("attribute", "slug"), name="attribute_value_unique_slug")
        ]

    def __str__(self) -> str:
        return f"{self.attribute.name}: {self.name}"


class ProductType(models.Model):
    name = models.CharField(max_length=64)
    slug = models.SlugField(max_length=64, unique=True)
    has_variants = models.BooleanField(default=True)
    product_attributes = models.ManyToManyField(Attribute, blank=True, related_name="+")
    variant_attributes = models.ManyToManyField(Attribute, blank=True, related_name="+")

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    """A thing the shop sells; what is bought is one of its variants.

    `updated_at` moves whenever the product, a variant's price or its stock changes:
    page caches and ETags key on it (see catalog.services.product_touch).
    """

    product_type = models.ForeignKey(ProductType, on_delete=models.PROTECT, related_name="products")
    code = models.CharField(max_length=32, unique=True, help_text="The shop's product code")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="primary_products",
        help_text="Main category, used for breadcrumbs",
    )  # fmt: skip
    categories = models.ManyToManyField(Category, related_name="products", blank=True)
    attribute_values = models.ManyToManyField(AttributeValue, blank=True, related_name="products")
    search_aliases = models.JSONField(
        default=list, blank=True, help_text="Other names shoppers or suppliers use for it"
    )
    is_published = models.BooleanField(default=False, db_index=True)
    is_featured = models.BooleanField(default=False, help_text="Shown on the home page")
    published_at = models.DateTimeField(null=True, blank=True)
    seo_title = models.CharField(max_length=70, blank=True)
    seo_description = models.CharField(max_length=300, blank=True)
    # Denormalised for listing pages; maintained by catalog and inventory services.
    price_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(max_length=3, default="GBP")
    in_stock = models.BooleanField(default=False)
    units_sold = models.PositiveIntegerField(default=0, help_text="Units sold, for best sellers")

    class Meta:
        ordering = ("name",)
        indexes = [
            models.Index(fields=("is_published", "price_amount"), name="product_pub_price"),
            models.Index(fields=("is_published", "-units_sold"), name="product_pub_sold"),
            models.Index(fields=("is_published", "-published_at"), name="product_pub_new"),
            # catalog_version() reads MAX(updated_at) on every listing request.
            models.Index(fields=("updated_at",), name="product_updated"),
        ]

    def __str__(self) -> str:
        return self.name


class ProductVariant(TimeStampedModel):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=128, blank=True, help_text="e.g. 'Red, large'")
    price_amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="GBP")
    weight_grams = models.PositiveIntegerField(null=True, blank=True)
    attribute_values = models.ManyToManyField(AttributeValue, blank=True, related_name="variants")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")
        # Prices are not part of editing a product: staff who keep descriptions, photos and
        # categories need not be able to reprice the shop (catalog.services checks it).
        permissions = [("change_price", "Can change variant prices")]

    def __str__(self) -> str:
        return f"{self.product.name} ({self.sku})" if self.name == "" else f"{self.product.name}, {self.name}"


def product_media_path(instance: ProductMedia, filename: str) -> str:
    return f"products/{instance.product.code}/{filename}"


class ProductMedia(models.Model):
    """One image of a product; `widths` lists the renditions stored beside it for srcset."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="media")
    image = models.ImageField(upload_to=product_media_path, max_length=255)
    alt = models.CharField(max_length=200, blank=True)
    widths = models.JSONField(default=list, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.image.name
