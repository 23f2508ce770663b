"""Pricing rules: a cart priced from the database (pricing.cart), and vouchers checked,
redeemed and released (pricing.vouchers). Other contexts import from here.

Tax rules, in one place:
- Catalogue prices include tax when PricingSettings.prices_include_tax (the default, a UK
  shop): the shopper pays the catalogue price and the tax shown is the part included in
  it. Sent abroad, the gross price is kept and the included tax is worked out at the
  destination's rate (one price for every shopper, the way most shops that quote VAT-
  inclusive prices do it; the shop's margin absorbs the difference). Otherwise prices are
  net and tax is added at the destination's rate.
- A product is taxed by its ProductTaxClass, or the default class when it has none; a
  class with no rate at the destination is taxed at the destination's default rate; a
  destination with no rates at all (outside the UK and EU in the seed) pays no tax.
- Shipping is taxed at the destination's standard rate. HMRC would allow a mixed basket's
  delivery charge to be apportioned over the goods' rates; the standard rate never
  under-collects and is simple to show.
- A voucher's goods discount is spread over the lines in proportion to their value, so
  that each line's tax is on what was actually paid for it. A free-shipping voucher
  discounts the shipping, which then bears no tax.
- Vouchers (min spend, percentage) apply to the goods subtotal as shown: gross when prices
  include tax, net otherwise. Fixed-amount vouchers and min spend are in the shop currency.
"""

from __future__ import annotations

from shopstack.pricing.calculation import LineInput, PricedCart, PricedLine, TaxLine
from shopstack.pricing.cart import MAX_LINES, MAX_QUANTITY, CartPricer, cart_pricer, price_cart
from shopstack.pricing.vouchers import (
    voucher_check,
    voucher_customer_key,
    voucher_discount,
    voucher_redeem,
    voucher_release,
)

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "CartPricer",
    "LineInput",
    "PricedCart",
    "PricedLine",
    "TaxLine",
    "cart_pricer",
    "price_cart",
    "voucher_check",
    "voucher_customer_key",
    "voucher_discount",
    "voucher_redeem",
    "voucher_release",
]
