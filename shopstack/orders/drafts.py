"""What checkout hands to orders: an order fully priced on the server, not yet placed.

Checkout builds an `OrderDraft` from its cart, addresses, shipping method and voucher
(every amount from pricing and shipping, never from the client) and calls
`orders.services.order_place(draft=..., idempotency_key=...)`. Orders owns everything
from there: the order rows, stock allocation, the voucher redemption, the payment and
the workflow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class DraftAddress:
    full_name: str
    line1: str
    city: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2
    company: str = ""
    line2: str = ""
    region: str = ""
    phone: str = ""


@dataclass(frozen=True)
class DraftLine:
    variant_id: int
    sku: str
    product_name: str
    quantity: int
    unit_price: Decimal  # catalogue basis (gross when prices include tax)
    discount: Decimal  # this line's share of the voucher discount
    net: Decimal
    tax: Decimal
    gross: Decimal
    tax_rate: Decimal  # percent


@dataclass(frozen=True)
class OrderDraft:
    checkout_ref: str  # the stock reservation's ref, e.g. "checkout:<token>"
    email: str
    currency: str
    lines: tuple[DraftLine, ...]
    shipping_address: DraftAddress
    billing_address: DraftAddress
    shipping_method_id: int | None
    shipping_method_name: str
    shipping_price: Decimal  # what the shopper pays for shipping, after a free-shipping voucher
    shipping_tax: Decimal
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal
    payment_token: str  # from the gateway's hosted form; never a card number
    customer_id: int | None = None
    voucher_code: str | None = None
    source: str = "shop"  # shop | api
    weight_grams: int = 0
    # Where the gateway sends the customer back after a 3-D Secure challenge (the checkout's
    # page for the order); not part of what makes two placements the same.
    payment_return_url: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def fingerprint_data(self) -> dict[str, Any]:
        """What makes two placements "the same request" for an idempotency key: the goods,
        where they go, how, with which voucher, for whom and the amount charged."""
        return {
            "lines": sorted((line.variant_id, line.quantity) for line in self.lines),
            "email": self.email.lower(),
            "customer": self.customer_id,
            "shipping_address": asdict(self.shipping_address),
            "shipping_method": self.shipping_method_id,
            "voucher": (self.voucher_code or "").upper(),
            "total": str(self.total),
            "currency": self.currency,
        }
