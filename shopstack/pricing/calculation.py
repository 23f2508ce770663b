"""The arithmetic of a priced cart: pure functions over Decimals, no database.

Rounding happens once per figure that is shown, by the currency's rules, and shown
figures are derived so that they add up exactly:

1. Line subtotals (unit price x quantity) are exact in the currency's minor unit.
2. The goods discount (already rounded once by the voucher) is apportioned to lines in
   proportion to their subtotals, in whole minor units, by the largest-remainder method,
   so the line shares add up to the discount.
3. Lines and shipping are grouped by tax rate. Each group's tax is computed exactly on
   the group's taxable amount and rounded once. The cart's tax is the sum of the group
   taxes, so the tax breakdown adds up to the tax total.
4. Each group's rounded tax is apportioned to its lines (and shipping) again by the
   largest remainder, so line taxes add up to the group's tax; line net = gross - tax.

With `prices_include_tax` the taxable amounts are gross and the tax is the included part,
rate/(100+rate); otherwise they are net and the tax is added, rate/100.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from shopstack.core.money import minor_units, quantize

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True, slots=True)
class LineInput:
    """What a client may say about a cart line: which variant and how many. Never a price."""

    variant_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class PricedLine:
    variant_id: int
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal  # the catalogue price: gross if prices include tax, else net
    subtotal: Decimal  # unit_price x quantity, before discount, on the same basis
    discount: Decimal  # this line's share of the goods discount, on the same basis
    net: Decimal  # after discount
    tax: Decimal  # after discount
    gross: Decimal  # after discount; net + tax
    tax_rate: Decimal  # percent
    tax_class: str  # slug


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One row of the tax breakdown: everything taxed at `rate`, shipping included."""

    rate: Decimal
    net: Decimal
    tax: Decimal
    gross: Decimal


@dataclass(frozen=True, slots=True)
class PricedCart:
    """A cart priced on the server.

    Identities that always hold (all figures rounded to the currency's minor unit):
    - prices include tax: total == subtotal - discount + shipping (tax is included)
    - prices exclude tax: total == subtotal - discount + shipping + tax
    - total == sum(t.gross for t in taxes); tax == sum(t.tax for t in taxes)
    - discount == goods_discount + shipping_discount; goods_discount == sum(line.discount)
    """

    currency: str
    prices_include_tax: bool
    country: str
    region: str
    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    goods_discount: Decimal
    shipping: Decimal  # the shipping price as given, before a free-shipping voucher
    shipping_discount: Decimal
    shipping_tax: Decimal
    shipping_tax_rate: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    taxes: tuple[TaxLine, ...]
    voucher_code: str | None
    # The goods' gross value after the goods discount and before shipping: what a
    # free-shipping threshold ("free delivery over £50") is compared with.
    free_shipping_subtotal: Decimal


@dataclass(frozen=True, slots=True)
class TaxableItem:
    amount: Decimal  # rounded, after discount
    rate: Decimal


@dataclass(frozen=True, slots=True)
class ItemTax:
    net: Decimal
    tax: Decimal
    gross: Decimal


def _units(amount: Decimal, currency: str) -> int:
    """An amount already rounded to the currency, as an integer count of minor units."""
    scaled = amount.scaleb(minor_units(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} is not rounded to {currency}")
    return int(scaled)


def _amount(units: int, currency: str) -> Decimal:
    return quantize(Decimal(units).scaleb(-minor_units(currency)), currency)


def allocate(total: Decimal, weights: Sequence[Decimal], currency: str) -> list[Decimal]:
    """Split `total` in proportion to `weights` (both rounded to the currency) so that the
    parts are whole minor units adding up exactly to `total` (largest-remainder method;
    ties go to the earlier weight). If total <= sum(weights), no part exceeds its weight."""
    total_units = _units(total, currency)
    weight_units = [_units(weight, currency) for weight in weights]
    if any(weight < 0 for weight in weight_units) or total_units < 0:
        raise ValueError("allocate() takes amounts that are not negative")
    weight_sum = sum(weight_units)
    if weight_sum == 0:
        if total_units:
            raise ValueError("cannot allocate an amount over nothing")
        return [_amount(0, currency) for _ in weights]
    # Integer arithmetic: exact shares as quotient and remainder, nothing lost to Decimal precision.
    shares = [divmod(total_units * weight, weight_sum) for weight in weight_units]
    parts = [quotient for quotient, _ in shares]
    left = total_units - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for index in by_remainder[:left]:
        parts[index] += 1
    return [_amount(part, currency) for part in parts]


def tax_of(amount: Decimal, rate: Decimal, *, prices_include_tax: bool) -> Decimal:
    """The exact (unrounded) tax in `amount` at `rate` percent."""
    if prices_include_tax:
        return amount * rate / (HUNDRED + rate)
    return amount * rate / HUNDRED


def tax_items(
    items: Sequence[TaxableItem], *, prices_include_tax: bool, currency: str
) -> tuple[list[ItemTax], list[TaxLine]]:
    """Tax for each item and the breakdown by rate (steps 3 and 4 of the module docstring)."""
    results: list[ItemTax | None] = [None] * len(items)
    breakdown: list[TaxLine] = []
    for rate in sorted({item.rate for item in items}):
        members = [index for index, item in enumerate(items) if item.rate == rate]
        amounts = [items[index].amount for index in members]
        base = sum(amounts, ZERO)
        group_tax = quantize(tax_of(base, rate, prices_include_tax=prices_include_tax), currency)
        shares = allocate(group_tax, amounts, currency) if base else [group_tax for _ in members]
        for index, amount, share in zip(members, amounts, shares, strict=True):
            if prices_include_tax:
                results[index] = ItemTax(net=amount - share, tax=share, gross=amount)
            else:
                results[index] = ItemTax(net=amount, tax=share, gross=amount + share)
        net, gross = (base - group_tax, base) if prices_include_tax else (base, base + group_tax)
        breakdown.append(TaxLine(rate=rate, net=net, tax=group_tax, gross=gross))
    return [result for result in results if result is not None], breakdown


@dataclass(frozen=True, slots=True)
class LineSpec:
    """A line as read from the catalogue, before the arithmetic."""

    variant_id: int
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal
    tax_class: str


@dataclass(frozen=True, slots=True)
class Adjustments:
    """What is priced beside the goods: the (rounded) discounts and the shipping price."""

    goods_discount: Decimal = ZERO
    shipping: Decimal = ZERO
    shipping_discount: Decimal = ZERO
    shipping_rate: Decimal = ZERO
    voucher_code: str | None = None


def cart_compute(
    specs: Sequence[LineSpec],
    adjustments: Adjustments,
    *,
    prices_include_tax: bool,
    currency: str,
    destination: tuple[str, str] = ("", ""),
) -> PricedCart:
    """Price lines whose unit prices and tax rates are known; see the module docstring."""
    units = [quantize(spec.unit_price, currency) for spec in specs]
    subtotals = [unit * spec.quantity for unit, spec in zip(units, specs, strict=True)]
    subtotal = sum(subtotals, ZERO)
    goods_discount = quantize(adjustments.goods_discount, currency)
    shipping = quantize(adjustments.shipping, currency)
    shipping_discount = quantize(adjustments.shipping_discount, currency)
    if not (ZERO <= goods_discount <= subtotal and ZERO <= shipping_discount <= shipping):
        raise ValueError("a discount must be between zero and what it is taken from")
    discounts = allocate(goods_discount, subtotals, currency)
    items = [
        TaxableItem(amount=line_subtotal - share, rate=spec.tax_rate)
        for line_subtotal, share, spec in zip(subtotals, discounts, specs, strict=True)
    ]
    items.append(TaxableItem(amount=shipping - shipping_discount, rate=adjustments.shipping_rate))
    taxed, breakdown = tax_items(items, prices_include_tax=prices_include_tax, currency=currency)
    lines = tuple(
        PricedLine(
            variant_id=spec.variant_id,
            product_id=spec.product_id,
            sku=spec.sku,
            name=spec.name,
            quantity=spec.quantity,
            unit_price=unit,
            subtotal=line_subtotal,
            discount=share,
            net=line_tax.net,
            tax=line_tax.tax,
            gross=line_tax.gross,
            tax_rate=spec.tax_rate,
            tax_class=spec.tax_class,
        )
        for spec, unit, line_subtotal, share, line_tax in zip(
            specs, units, subtotals, discounts, taxed[:-1], strict=True
        )
    )
    tax = sum((row.tax for row in breakdown), ZERO)
    total = subtotal - goods_discount + shipping - shipping_discount
    if not prices_include_tax:
        total += tax
    return PricedCart(
        currency=currency,
        prices_include_tax=prices_include_tax,
        country=destination[0],
        region=destination[1],
        lines=lines,
        subtotal=subtotal,
        goods_discount=goods_discount,
        shipping=shipping,
        shipping_discount=shipping_discount,
        shipping_tax=taxed[-1].tax,
        shipping_tax_rate=adjustments.shipping_rate,
        discount=goods_discount + shipping_discount,
        tax=tax,
        total=total,
        taxes=tuple(row for row in breakdown if row.gross or row.rate in {spec.tax_rate for spec in specs}),
        voucher_code=adjustments.voucher_code,
        free_shipping_subtotal=sum((line.gross for line in lines), ZERO),
    )
