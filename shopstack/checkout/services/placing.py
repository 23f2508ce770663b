"""Checkout's last steps: the summary priced on the server, the order draft, placing.

The summary is priced again on every call (catalogue, tax, shipping, voucher) and checks
the stock again, counting what the checkout holds itself. Placing takes an idempotency
key: the checkout is claimed for that key with one conditional UPDATE, so a double
submit places one order and a second key is refused while the first is under way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from shopstack.accounts.services import ADDRESS_FIELDS
from shopstack.checkout.models import Cart, Checkout
from shopstack.checkout.services.checkout import (
    CLOSED,
    _cart_lines,
    _CartLine,
    _clean_key,
    _clean_payment_token,
    _customer_key,
    _goods_priced,
    _line_name,
    _out_of_stock,
    _pricer,
    _quotes,
    _refuse_problems,
    _weight,
)
from shopstack.core.durability import losable_on_crash
from shopstack.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from shopstack.inventory.services import OutOfStock
from shopstack.orders.drafts import DraftAddress, DraftLine, OrderDraft
from shopstack.orders.models import Order
from shopstack.orders.services import order_place
from shopstack.pricing.services import PricedCart, voucher_check
from shopstack.shipping.selectors import Quote

# The summary -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    variant_id: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    subtotal: Decimal
    problem: str


@dataclass(frozen=True)
class CheckoutSummary:
    """What the shopper is about to buy, priced on the server now."""

    checkout: Checkout
    currency: str
    lines: list[CheckoutLine]
    priced: PricedCart | None  # None when nothing in the cart can be priced
    shipping_options: list[Quote]
    shipping: Quote | None  # the chosen method's quote, if it still applies
    weight_grams: int
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def has_contact(self) -> bool:
        return bool(self.checkout.email)

    @property
    def has_address(self) -> bool:
        return bool((self.checkout.shipping_address or {}).get("country"))

    @property
    def has_shipping(self) -> bool:
        return self.shipping is not None

    @property
    def has_payment(self) -> bool:
        return bool(self.checkout.payment_token)

    @property
    def ready(self) -> bool:
        """Everything is there to place the order (payment token aside)."""
        return (
            self.priced is not None
            and not self.problems
            and self.has_contact
            and self.has_address
            and self.has_shipping
        )


def checkout_summary(*, checkout: Checkout, lines: list[_CartLine] | None = None) -> CheckoutSummary:
    """Lines, shipping options for the address and the cart's weight, and the cart priced
    by `price_cart` with the chosen shipping and the voucher. Stock is checked again,
    counting what this checkout holds itself: `problems` says what must change first
    (fields "cart", "voucher", "shipping_method"). `lines` are the cart's lines as the
    caller read them in this same request, if it did (they are not read twice)."""
    if lines is None:
        lines = _cart_lines(checkout.cart, checkout)
    problems: dict[str, list[str]] = {}
    bad = [f"{_line_name(line)}: {line.problem}" for line in lines if line.problem]
    if not lines:
        problems["cart"] = ["Your cart is empty."]
    elif bad:
        problems["cart"] = bad
    sellable = [line for line in lines if line.on_sale]
    priced = None
    options: list[Quote] = []
    chosen = None
    if sellable:
        pricer = _pricer(checkout, sellable)
        goods = _goods_priced(checkout, sellable, pricer)
        if checkout.voucher_code and goods.voucher_code is None:
            problems["voucher"] = [_voucher_problem(checkout, sellable)]
        options = _quotes(checkout, sellable, goods)
        chosen = next((quote for quote in options if quote.method_id == checkout.shipping_method_id), None)
        if checkout.shipping_method_id is not None and chosen is None:
            problems["shipping_method"] = [
                "The method you chose no longer reaches this address; choose another."
            ]
        # Without a shipping price the goods' pricing is already the whole of it.
        priced = goods
        if chosen is not None:
            priced = pricer.price(
                shipping_price=chosen.price,
                voucher_code=goods.voucher_code,
                customer_key=_customer_key(checkout),
            )
    priced_lines = {line.variant_id: line for line in priced.lines} if priced else {}
    out = []
    for line in lines:
        priced_line = priced_lines.get(line.variant.pk)
        unit = priced_line.unit_price if priced_line else line.variant.price_amount
        out.append(
            CheckoutLine(
                variant_id=line.variant.pk,
                sku=line.variant.sku,
                name=_line_name(line),
                quantity=line.quantity,
                unit_price=unit,
                subtotal=priced_line.subtotal if priced_line else unit * line.quantity,
                problem=line.problem,
            )
        )
    return CheckoutSummary(
        checkout=checkout,
        currency=priced.currency if priced else checkout.cart.currency,
        lines=out,
        priced=priced,
        shipping_options=options,
        shipping=chosen,
        weight_grams=_weight(sellable),
        problems=problems,
    )


def _voucher_problem(checkout: Checkout, lines: list[_CartLine]) -> str:
    subtotal = sum((line.variant.price_amount * line.quantity for line in lines), Decimal(0))
    try:
        voucher_check(code=checkout.voucher_code, subtotal=subtotal, customer_key=_customer_key(checkout))
    except ValidationFailed as error:
        return " ".join(error.fields.get("voucher", [error.message]))
    return "This voucher no longer applies."


# The draft and placing ---------------------------------------------------------------------------


def _draft_address(data: dict[str, str]) -> DraftAddress:
    return DraftAddress(**{name: data.get(name, "") for name in ADDRESS_FIELDS})


def checkout_draft(
    *,
    checkout: Checkout,
    payment_token: str,
    source: str = "shop",
    payment_return_url: str = "",
    lines: list[_CartLine] | None = None,
) -> OrderDraft:
    """The order to place, every amount from the server: refused (ValidationFailed or
    Conflict with field messages) until the checkout has an email, an address, a shipping
    method that applies, a voucher (if any) that still applies and a cart that can be
    bought as it is."""
    token = _clean_payment_token(payment_token)
    if checkout.status != Checkout.Status.OPEN:
        raise Conflict(CLOSED, code="checkout_closed")
    if lines is None:
        lines = _cart_lines(checkout.cart, checkout)
    summary = checkout_summary(checkout=checkout, lines=lines)
    missing: dict[str, list[str]] = {}
    if not summary.has_contact:
        missing["email"] = ["Enter your email address."]
    if not summary.has_address:
        missing["shipping_address"] = ["Enter the delivery address."]
    elif summary.shipping is None and "shipping_method" not in summary.problems:
        missing["shipping_method"] = ["Choose a shipping method."]
    if missing:
        raise ValidationFailed("Some checkout steps are not done yet.", fields=missing)
    if not summary.lines:
        raise ValidationFailed(
            "Your cart is empty.", code="cart_empty", fields={"cart": ["Your cart is empty."]}
        )
    if "cart" in summary.problems:
        _refuse_problems(lines)
    if summary.problems:
        raise ValidationFailed("Some details no longer apply; please check them.", fields=summary.problems)
    priced, chosen = summary.priced, summary.shipping
    # Both are there once the checks above pass.
    assert priced is not None
    assert chosen is not None
    shipping = checkout.shipping_address
    return OrderDraft(
        checkout_ref=checkout.reservation_ref,
        email=checkout.email,
        currency=priced.currency,
        lines=tuple(
            DraftLine(
                variant_id=line.variant_id,
                sku=line.sku,
                product_name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                net=line.net,
                tax=line.tax,
                gross=line.gross,
                tax_rate=line.tax_rate,
            )
            for line in priced.lines
        ),
        shipping_address=_draft_address(shipping),
        billing_address=_draft_address(checkout.billing_address or shipping),
        shipping_method_id=chosen.method_id,
        shipping_method_name=chosen.name,
        shipping_price=priced.shipping - priced.shipping_discount,
        shipping_tax=priced.shipping_tax,
        subtotal=priced.subtotal,
        discount=priced.discount,
        tax=priced.tax,
        total=priced.total,
        payment_token=token,
        customer_id=checkout.customer_id,
        voucher_code=priced.voucher_code,
        source=source,
        weight_grams=summary.weight_grams,
        payment_return_url=payment_return_url,
    )


@dataclass(frozen=True, slots=True)
class Placement:
    order: Order
    created: bool  # False when this was a repeat of a placement already made


def _order_by_number(number: str) -> Order:
    order = Order.objects.filter(number=number).first()
    if order is None:
        raise NotFound("No such order.")
    return order


def checkout_placement(
    *,
    checkout: Checkout,
    payment_token: str,
    idempotency_key: str,
    source: str = "shop",
    payment_return_url: str = "",
) -> Placement:
    """Place the order once per idempotency key: check the cart as it is now, build the
    draft on the server and hand it to `order_place` (whose allocation converts the
    checkout's reservation, or takes free stock where it lapsed); then mark the checkout
    placed and the cart converted. Not enough stock: Conflict "out_of_stock".

    A repeat with the same key returns the same order (created False). Another key for a
    checkout that is placed, or being placed, is refused (Conflict); the same key already
    used for a different order is refused by orders (Conflict "idempotency_key_reused")."""
    key = _clean_key(idempotency_key)
    token = _clean_payment_token(payment_token)
    # Losing the claim in a database crash is harmless (a retry claims again), so it
    # does not wait for the disk; the order's own commit does.
    with losable_on_crash():
        claimed = (
            Checkout.objects.filter(pk=checkout.pk, status=Checkout.Status.OPEN)
            .filter(Q(place_key="") | Q(place_key=key))
            .update(place_key=key, updated_at=timezone.now())
        )
    if not claimed:
        current = Checkout.objects.filter(pk=checkout.pk).first()
        if current is not None and current.status == Checkout.Status.PLACED and current.place_key == key:
            return Placement(order=_order_by_number(current.order_number), created=False)
        if current is not None and current.status == Checkout.Status.PLACED:
            raise Conflict(
                f"This checkout was already placed as order {current.order_number}.",
                code="checkout_placed",
                fields={"idempotency_key": ["This checkout has been placed with another key."]},
            )
        if current is not None and current.status == Checkout.Status.OPEN:
            raise Conflict(
                "This checkout is being placed already.",
                code="checkout_placing",
                fields={"idempotency_key": ["Wait for the first request, or repeat it with its key."]},
            )
        raise Conflict(CLOSED, code="checkout_closed")
    checkout.place_key = key
    try:
        lines = _cart_lines(checkout.cart, checkout)
        _refuse_problems(lines)
        draft = checkout_draft(
            checkout=checkout,
            payment_token=token,
            source=source,
            payment_return_url=payment_return_url,
            lines=lines,
        )
        # No renewal of the reservation first: the allocation converts what the checkout
        # holds and takes anything it no longer holds (a lapsed reservation, a cart grown
        # since) from free stock under the same locks, or refuses with OutOfStock.
        created: list[Order] = []

        def mark_placed(order: Order) -> None:
            # In the order's own transaction: the order, the placed checkout and the
            # converted cart are committed together (one commit) or not at all.
            now = timezone.now()
            if not Checkout.objects.filter(pk=checkout.pk, status=Checkout.Status.OPEN).update(
                status=Checkout.Status.PLACED, order_number=order.number, payment_token=token, updated_at=now
            ):
                raise Conflict(CLOSED, code="checkout_closed")
            Cart.objects.filter(pk=checkout.cart_id, status=Cart.Status.OPEN).update(
                status=Cart.Status.CONVERTED, updated_at=now
            )
            created.append(order)

        try:
            order = order_place(draft=draft, idempotency_key=key, then=mark_placed)
        except OutOfStock as error:
            raise _out_of_stock(error, lines) from None
    except DomainError:
        # Nothing was placed: free the checkout for a corrected attempt.
        Checkout.objects.filter(pk=checkout.pk, status=Checkout.Status.OPEN, place_key=key).update(
            place_key=""
        )
        checkout.place_key = ""
        raise
    checkout.status, checkout.order_number, checkout.payment_token = (
        Checkout.Status.PLACED,
        order.number,
        token,
    )
    return Placement(order=order, created=bool(created))


def checkout_place(
    *,
    checkout: Checkout,
    payment_token: str,
    idempotency_key: str,
    source: str = "shop",
    payment_return_url: str = "",
) -> Order:
    """Place the order (see `checkout_placement`); the same key returns the same order."""
    return checkout_placement(
        checkout=checkout,
        payment_token=payment_token,
        idempotency_key=idempotency_key,
        source=source,
        payment_return_url=payment_return_url,
    ).order
