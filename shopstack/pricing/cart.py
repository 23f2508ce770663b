"""A cart priced from the database: catalogue prices, tax classes and rates, shipping and
a voucher, with the arithmetic of pricing.calculation. The tax rules are described in
pricing.services.

A checkout prices the same cart more than once per request: for the goods alone (shipping
thresholds compare their value), then with the shipping method's price. `cart_pricer`
reads the cart's catalogue and tax inputs once and `CartPricer.price` prices them with
any shipping price and voucher, without reading them again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shopstack.catalog.models import ProductVariant
from shopstack.core.errors import ValidationFailed
from shopstack.core.money import quantize
from shopstack.pricing.calculation import ZERO, Adjustments, LineInput, LineSpec, PricedCart, cart_compute
from shopstack.pricing.models import ProductTaxClass, Voucher
from shopstack.pricing.reference import pricing_reference
from shopstack.pricing.vouchers import voucher_check, voucher_discount

MAX_QUANTITY = 999
MAX_LINES = 200
# Codes that look like ISO alpha-2 but are not the ISO code of the country people mean.
NOT_ISO_COUNTRIES = {"UK": "GB", "EL": "GR"}


def _variants_for_pricing(variant_ids: Iterable[int]) -> dict[int, ProductVariant]:
    """Variants with their product, by id (one query); unpublished products are left out."""
    variants = ProductVariant.objects.filter(
        pk__in=set(variant_ids), product__is_published=True
    ).select_related("product")
    return {variant.pk: variant for variant in variants}


def _product_tax_classes(product_ids: Iterable[int]) -> dict[int, str]:
    """Tax class slug by product id, for products that have one set (one query)."""
    return dict(
        ProductTaxClass.objects.filter(product_id__in=set(product_ids)).values_list(
            "product_id", "tax_class__slug"
        )
    )


def _check_lines(lines: Sequence[LineInput]) -> None:
    if not lines:
        raise ValidationFailed("The cart is empty.", fields={"lines": ["Add at least one item."]})
    if len(lines) > MAX_LINES:
        raise ValidationFailed(
            "Too many lines.", fields={"lines": [f"A cart holds at most {MAX_LINES} lines."]}
        )
    for number, line in enumerate(lines, start=1):
        variant_id, quantity = line.variant_id, line.quantity
        if not isinstance(variant_id, int) or isinstance(variant_id, bool) or variant_id < 1:
            raise ValidationFailed(
                "A cart line names no product.", fields={"variant": [f"Line {number}: choose a product."]}
            )
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(
                "A quantity is not valid.",
                fields={"quantity": [f"Line {number}: enter a whole number from 1 to {MAX_QUANTITY}."]},
            )


def _check_destination(country: str, region: str) -> tuple[str, str]:
    code = (country or "").strip().upper()
    if code in NOT_ISO_COUNTRIES:
        raise ValidationFailed(
            "The country code is not valid.",
            fields={"country": [f"Use {NOT_ISO_COUNTRIES[code]}, the ISO 3166 code, instead of {code}."]},
        )
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ValidationFailed(
            "The country code is not valid.", fields={"country": ["Enter a two-letter ISO country code."]}
        )
    area = (region or "").strip().upper()
    if len(area) > 16:
        raise ValidationFailed(
            "The region is not valid.", fields={"region": ["Enter at most 16 characters."]}
        )
    return code, area


def _check_shipping(shipping_price: Decimal | None, currency: str) -> Decimal:
    if shipping_price is None:
        return quantize(ZERO, currency)
    if not isinstance(shipping_price, Decimal) or not shipping_price.is_finite() or shipping_price < 0:
        raise ValidationFailed(
            "The shipping price is not valid.",
            fields={"shipping_price": ["Shipping must be a Decimal amount, zero or more."]},
        )
    return quantize(shipping_price, currency)


@dataclass
class CartPricer:
    """One cart's lines with their catalogue prices and tax rates at one destination."""

    specs: tuple[LineSpec, ...]
    currency: str
    country: str
    region: str
    prices_include_tax: bool
    shipping_rate: Decimal
    # Checked vouchers by (code, customer key, now): the answer is the same for this cart.
    _vouchers: dict[tuple[str, str | None, datetime | None], Voucher | ValidationFailed] = field(
        default_factory=dict, repr=False
    )

    @property
    def subtotal(self) -> Decimal:
        return sum((quantize(spec.unit_price, self.currency) * spec.quantity for spec in self.specs), ZERO)

    def _voucher(self, code: str, customer_key: str | None, now: datetime | None) -> Voucher:
        key = (code, customer_key, now)
        if key not in self._vouchers:
            try:
                self._vouchers[key] = voucher_check(
                    code=code, subtotal=self.subtotal, customer_key=customer_key, now=now
                )
            except ValidationFailed as error:
                self._vouchers[key] = error
        checked = self._vouchers[key]
        if isinstance(checked, ValidationFailed):
            raise checked
        return checked

    def price(
        self,
        *,
        shipping_price: Decimal | None = None,
        voucher_code: str | None = None,
        customer_key: str | None = None,
        now: datetime | None = None,
    ) -> PricedCart:
        """The cart priced with this shipping price (same tax basis as catalogue prices)
        and voucher (checked, not redeemed). ValidationFailed on "shipping_price" or "voucher"."""
        shipping = _check_shipping(shipping_price, self.currency)
        adjustments = Adjustments(shipping=shipping, shipping_rate=self.shipping_rate)
        if voucher_code is not None and voucher_code.strip():
            voucher = self._voucher(voucher_code, customer_key, now)
            discount = voucher_discount(
                voucher=voucher, subtotal=self.subtotal, shipping=shipping, currency=self.currency
            )
            free_shipping = voucher.kind == Voucher.Kind.FREE_SHIPPING
            adjustments = Adjustments(
                goods_discount=ZERO if free_shipping else discount,
                shipping=shipping,
                shipping_discount=discount if free_shipping else ZERO,
                shipping_rate=self.shipping_rate,
                voucher_code=voucher.code,
            )
        return cart_compute(
            list(self.specs),
            adjustments,
            prices_include_tax=self.prices_include_tax,
            currency=self.currency,
            destination=(self.country, self.region),
        )


def cart_pricer(
    *,
    lines: Sequence[LineInput],
    country: str,
    region: str = "",
    variants: Mapping[int, ProductVariant] | None = None,
) -> CartPricer:
    """Read what pricing these lines needs (the caller sends ids and quantities only).

    `variants` are the lines' variants with their product, if the caller has just read
    them; unpublished ones are refused as if missing. Raises ValidationFailed with fields
    "lines", "variant", "quantity", "country" or "region"."""
    _check_lines(lines)
    country, region = _check_destination(country, region)
    if variants is None:
        variants = _variants_for_pricing(line.variant_id for line in lines)
    for number, line in enumerate(lines, start=1):
        variant = variants.get(line.variant_id)
        if variant is None or not variant.product.is_published:
            raise ValidationFailed(
                "A product in the cart is not for sale.",
                fields={"variant": [f"Line {number}: this product is not available any more."]},
            )
    currencies = {variants[line.variant_id].currency.upper() for line in lines}
    if len(currencies) != 1:
        raise ValidationFailed(
            "The cart mixes currencies.", fields={"variant": ["All items must be priced in one currency."]}
        )
    reference = pricing_reference()
    rates = reference.rates_for(country=country, region=region)
    classes = _product_tax_classes(variants[line.variant_id].product_id for line in lines)
    specs = []
    for line in lines:
        variant = variants[line.variant_id]
        slug = classes.get(variant.product_id, rates.default_class)
        specs.append(
            LineSpec(
                variant_id=variant.pk,
                product_id=variant.product_id,
                sku=variant.sku,
                name=f"{variant.product.name}, {variant.name}" if variant.name else variant.product.name,
                quantity=line.quantity,
                unit_price=variant.price_amount,
                tax_rate=rates.rate_for(slug),
                tax_class=slug,
            )
        )
    return CartPricer(
        specs=tuple(specs),
        currency=currencies.pop(),
        country=country,
        region=region,
        prices_include_tax=reference.prices_include_tax,
        shipping_rate=rates.shipping_rate,
    )


def price_cart(
    *,
    lines: Sequence[LineInput],
    country: str,
    region: str = "",
    shipping_price: Decimal | None = None,
    voucher_code: str | None = None,
    customer_key: str | None = None,
    now: datetime | None = None,
) -> PricedCart:
    """Price a cart from the catalogue's prices (the caller sends ids and quantities only).

    `shipping_price` comes from the shipping context, on the same tax basis as catalogue
    prices (gross when prices include tax). To pick a shipping price that depends on a
    free-delivery threshold, price the cart without shipping first and compare the
    threshold with `free_shipping_subtotal` (with a `cart_pricer`, which reads the cart
    once for both). A `voucher_code` is checked (for the customer when `customer_key` is
    given) but not redeemed: call voucher_redeem when the order is placed.

    Raises ValidationFailed with fields "lines", "variant", "quantity", "country", "region",
    "shipping_price" or "voucher".
    """
    pricer = cart_pricer(lines=lines, country=country, region=region)
    return pricer.price(
        shipping_price=shipping_price, voucher_code=voucher_code, customer_key=customer_key, now=now
    )
