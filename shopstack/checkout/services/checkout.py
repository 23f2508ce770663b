"""Checkout rules: from an open cart to an order, one step at a time.

Every step validates its input and raises `shopstack.core.errors` with field-level
messages, changing nothing when it refuses. Nothing that costs money is taken from the
client or stored on the checkout: the summary, the draft and the order are priced again
from the catalogue, pricing and shipping each time. The stock a cart needs is reserved
for the checkout (`checkout:<token>`) from the start and renewed when the order is placed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from shopstack.accounts.models import Address
from shopstack.accounts.services import ADDRESS_FIELDS, address_clean
from shopstack.catalog.models import ProductVariant
from shopstack.checkout.models import Cart, CartLine, Checkout
from shopstack.core.errors import Conflict, NotFound, RateLimited, ValidationFailed
from shopstack.core.limits import Limit, limit_check, limit_record
from shopstack.inventory.selectors import reservations_active, variants_available
from shopstack.inventory.services import OutOfStock, stock_release, stock_reserve
from shopstack.payments.services import payment_hosted_form_url
from shopstack.pricing.services import (
    CartPricer,
    LineInput,
    PricedCart,
    cart_pricer,
    voucher_check,
    voucher_customer_key,
)
from shopstack.shipping.selectors import Quote, shipping_quote, shipping_quotes

if TYPE_CHECKING:
    from shopstack.accounts.models import User

MAX_EMAIL_LENGTH = 254
MAX_KEY_LENGTH = 128
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{1,128}")
_CARD_NUMBER = re.compile(r"[0-9 \-]{12,}")

CLOSED = "This checkout is closed; start again from your cart."
# One code and one wording for "not enough stock", whether the cart was already short
# when checked or the units went to another shopper while reserving or placing.
OUT_OF_STOCK = "Sorry, some items in your cart are out of stock; please update your cart."


# Small helpers ---------------------------------------------------------------------------------


def _reservation_seconds() -> int:
    return int(settings.CHECKOUT_RESERVATION_SECONDS)


def _shop_country() -> str:
    return str(getattr(settings, "SHOP_COUNTRY", "GB"))


def _lock_open(checkout: Checkout) -> Checkout:
    """The checkout's row, locked for this transaction; Conflict if it is no longer open."""
    locked = Checkout.objects.select_for_update().filter(pk=checkout.pk).first()
    if locked is None or locked.status != Checkout.Status.OPEN:
        raise Conflict(CLOSED, code="checkout_closed")
    return locked


def _save(checkout: Checkout, target: Checkout, fields: list[str]) -> None:
    """Save `fields` of the locked row and copy them onto the caller's instance."""
    target.save(update_fields=[*fields, "updated_at"])
    for name in [*fields, "updated_at"]:
        setattr(checkout, name, getattr(target, name))


def _customer_key(checkout: Checkout) -> str | None:
    """Who per-customer voucher limits count: the account, or the email once it is known."""
    if checkout.customer_id is not None:
        return voucher_customer_key(user_id=checkout.customer_id)
    if checkout.email:
        return voucher_customer_key(email=checkout.email)
    return None


def _clean_email(value: object) -> str:
    email = value.strip() if isinstance(value, str) else ""
    if not email:
        raise ValidationFailed("Enter your email address.", fields={"email": ["Enter your email address."]})
    try:
        if len(email) > MAX_EMAIL_LENGTH:
            raise DjangoValidationError("too long")
        validate_email(email)
    except DjangoValidationError:
        message = "Enter a valid email address, like name@example.com."
        raise ValidationFailed("The email address is not valid.", fields={"email": [message]}) from None
    return email


def _looks_like_card_number(value: str) -> bool:
    digits = re.sub(r"[ \-]", "", value)
    return bool(_CARD_NUMBER.fullmatch(value)) and digits.isdigit() and 12 <= len(digits) <= 19


def _clean_payment_token(value: object) -> str:
    token = value.strip() if isinstance(value, str) else ""
    if not token:
        message = "Enter your card details first."
        raise ValidationFailed("No payment details yet.", fields={"payment_token": [message]})
    if _looks_like_card_number(token) or not _TOKEN.fullmatch(token):
        # Card numbers never reach the shop: only the gateway's token is accepted.
        message = "Send the card token from the payment form, never a card number."
        raise ValidationFailed("The payment token is not valid.", fields={"payment_token": [message]})
    return token


def _clean_key(value: object) -> str:
    key = value.strip() if isinstance(value, str) else ""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        message = f"Send 1 to {MAX_KEY_LENGTH} printable characters."
        raise ValidationFailed(
            "The idempotency key is missing or not valid.", fields={"idempotency_key": [message]}
        )
    return key


# The cart as checkout sees it --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CartLine:
    variant: ProductVariant
    quantity: int
    available: int  # for this checkout: free units plus what it holds itself

    @property
    def on_sale(self) -> bool:
        return self.variant.product.is_published

    @property
    def problem(self) -> str:
        if not self.on_sale:
            return "No longer available; please remove it from your cart."
        if self.quantity > self.available:
            return _short(self.available)
        return ""


def _short(units: int) -> str:
    if units <= 0:
        return "Out of stock; please remove it from your cart."
    return f"Only {units} left; please lower the quantity in your cart."


def _held(checkout: Checkout | None) -> dict[int, int]:
    """Units the checkout's own reservation holds, by variant (lapsed ones excluded)."""
    held: dict[int, int] = defaultdict(int)
    if checkout is None:
        return held
    for reservation in reservations_active(ref=checkout.reservation_ref):
        held[reservation.variant_id] += reservation.quantity
    return held


def _cart_lines(cart: Cart, checkout: Checkout | None = None) -> list[_CartLine]:
    rows = list(
        CartLine.objects.filter(cart=cart).select_related("variant__product").order_by("added_at", "id")
    )
    free = variants_available(variant_ids=[row.variant_id for row in rows]) if rows else {}
    held = _held(checkout)
    return [
        _CartLine(
            variant=row.variant,
            quantity=row.quantity,
            available=free.get(row.variant_id, 0) + held.get(row.variant_id, 0),
        )
        for row in rows
    ]


def _line_name(line: _CartLine) -> str:
    variant = line.variant
    return f"{variant.product.name}, {variant.name}" if variant.name else variant.product.name


def _refuse_problems(lines: list[_CartLine]) -> None:
    """Refuse an empty cart (cart_empty), one short of stock (out_of_stock) or one with a
    product off sale (cart_has_problems, with every line's problem on field "cart")."""
    if not lines:
        raise ValidationFailed(
            "Your cart is empty.", code="cart_empty", fields={"cart": ["Your cart is empty."]}
        )
    problems = [f"{_line_name(line)}: {line.problem}" for line in lines if line.problem]
    if not problems:
        return
    if all(line.on_sale for line in lines):
        raise Conflict(OUT_OF_STOCK, code="out_of_stock", fields={"cart": problems})
    raise Conflict(
        "Some items in your cart cannot be bought as they are.",
        code="cart_has_problems",
        fields={"cart": problems},
    )


def _out_of_stock(error: OutOfStock, lines: list[_CartLine]) -> Conflict:
    """Inventory's refusal (another shopper took the units first) worded as the cart
    check words it."""
    names = {line.variant.pk: _line_name(line) for line in lines}
    messages = [
        f"{names.get(variant_id, 'An item')}: {_short(units)}"
        for variant_id, units in sorted(error.available.items())
    ]
    return Conflict(OUT_OF_STOCK, code="out_of_stock", fields={"cart": messages})


def _reserve(checkout: Checkout, lines: list[_CartLine]) -> None:
    """Hold the cart's units for the checkout; OutOfStock turned into a message per product."""
    wanted = sorted((line.variant.pk, line.quantity) for line in lines)
    try:
        stock_reserve(ref=checkout.reservation_ref, lines=wanted, ttl_seconds=_reservation_seconds())
    except OutOfStock as error:
        raise _out_of_stock(error, lines) from None
    until = timezone.now() + timedelta(seconds=_reservation_seconds())
    Checkout.objects.filter(pk=checkout.pk).update(
        reserved_lines=[list(pair) for pair in wanted], reserved_until=until
    )
    checkout.reserved_lines = [list(pair) for pair in wanted]
    checkout.reserved_until = until


def _weight(lines: list[_CartLine]) -> int:
    return sum((line.variant.weight_grams or 0) * line.quantity for line in lines)


# Starting ------------------------------------------------------------------------------------------


def _default_address(customer: User, *, billing: bool) -> dict[str, str]:
    flag = "is_default_billing" if billing else "is_default_shipping"
    address = Address.objects.filter(user=customer, **{flag: True}).first()
    if address is None:
        return {}
    return {name: str(getattr(address, name) or "") for name in ADDRESS_FIELDS}


def checkout_start(*, cart: Cart, customer: User | None = None) -> Checkout:
    """See `checkout_start_reading_lines`."""
    return checkout_start_reading_lines(cart=cart, customer=customer)[0]


def checkout_start_reading_lines(
    *, cart: Cart, customer: User | None = None
) -> tuple[Checkout, list[_CartLine]]:
    """The open checkout of `cart` (a new one, or the one already under way, so a cart
    never holds two reservations), with the cart's stock reserved for it.

    Refused for an empty cart (ValidationFailed, field "cart"), one short of stock
    (Conflict "out_of_stock", whether the units were gone already or went to another
    shopper while reserving) or one with a product off sale (Conflict
    "cart_has_problems"), with a message per line on field "cart", changing nothing. A
    signed-in customer's checkout uses the account email and starts from the default
    shipping and billing addresses.

    Also returns the cart's lines as read for the check, for `checkout_summary` in the
    same request: what each line can have (free units plus the checkout's own) is the same
    after the reservation moved units from free to held."""
    if customer is not None and cart.customer_id not in (None, customer.pk):
        raise NotFound("No such cart.")
    with transaction.atomic():
        locked = Cart.objects.select_for_update().filter(pk=cart.pk).first()
        if locked is None or locked.status != Cart.Status.OPEN:
            raise Conflict("This cart is closed; please start again.", code="cart_closed")
        checkout = Checkout.objects.filter(cart=locked, status=Checkout.Status.OPEN).first()
        if checkout is not None and checkout.customer_id != (customer.pk if customer else None):
            # Someone else's (or a guest's, before sign-in) checkout of this cart: close it.
            stock_release(ref=checkout.reservation_ref)
            Checkout.objects.filter(pk=checkout.pk).update(status=Checkout.Status.ABANDONED)
            checkout = None
        lines = _cart_lines(locked, checkout)
        _refuse_problems(lines)
        if checkout is None:
            checkout = Checkout(cart=locked, customer=customer)
            if customer is not None:
                checkout.email = customer.email
                checkout.shipping_address = _default_address(customer, billing=False)
                billing = _default_address(customer, billing=True)
                checkout.billing_address = {} if billing == checkout.shipping_address else billing
            checkout.save()
        _reserve(checkout, lines)
    return checkout, lines


def checkout_restart(*, checkout: Checkout, customer: User | None = None) -> tuple[Checkout, Cart]:
    """A new checkout with the same items, addresses, shipping method and voucher as a
    placed one (e.g. to pay with another card after the first was declined). The items go
    into the shopper's open cart (a customer's own, or a new guest cart) unless it
    already holds some. Returns the checkout and its cart."""
    if checkout.status != Checkout.Status.PLACED:
        raise Conflict("Only a placed checkout can be started again.", code="checkout_not_placed")
    with transaction.atomic():
        if customer is not None:
            cart = Cart.objects.filter(customer=customer, status=Cart.Status.OPEN).first()
            if cart is None:
                cart = Cart.objects.create(customer=customer, currency=checkout.cart.currency)
        else:
            cart = Cart.objects.create(currency=checkout.cart.currency)
        if not CartLine.objects.filter(cart=cart).exists():
            CartLine.objects.bulk_create(
                CartLine(cart=cart, variant_id=line.variant_id, quantity=line.quantity)
                for line in CartLine.objects.filter(cart=checkout.cart_id).order_by("added_at", "id")
            )
        fresh = checkout_start(cart=cart, customer=customer)
        fresh.email = fresh.email or checkout.email
        fresh.shipping_address = checkout.shipping_address
        fresh.billing_address = checkout.billing_address
        fresh.shipping_method_id = checkout.shipping_method_id
        fresh.voucher_code = checkout.voucher_code
        fresh.save()
    return fresh, cart


# Steps ---------------------------------------------------------------------------------------------


def checkout_set_contact(*, checkout: Checkout, email: str) -> Checkout:
    """The guest's email address, for the order confirmation and voucher limits. A
    signed-in customer's checkout always uses the account email (another one is refused)."""
    cleaned = _clean_email(email)
    if checkout.customer_id is not None and cleaned.lower() != checkout.email.lower():
        message = "Signed in, we use your account's email address; change it in your account."
        raise ValidationFailed("The email address cannot be changed here.", fields={"email": [message]})
    with transaction.atomic():
        locked = _lock_open(checkout)
        locked.email = cleaned
        _save(checkout, locked, ["email"])
    return checkout


def _clean_address(data: object, prefix: str) -> dict[str, str]:
    if not isinstance(data, dict):
        raise ValidationFailed("The address is not valid.", fields={prefix: ["Send the address's fields."]})
    try:
        return address_clean(data=data)
    except ValidationFailed as error:
        fields = {f"{prefix}.{name}": messages for name, messages in error.fields.items()}
        raise ValidationFailed(f"The {prefix} address is not complete.", fields=fields) from None


def checkout_set_address(
    *, checkout: Checkout, shipping: dict[str, Any], billing: dict[str, Any] | None = None
) -> Checkout:
    """Where the order goes and who pays; `billing` None means the same as `shipping`.

    Each address needs full_name, line1, city, postal_code and an ISO 3166-1 alpha-2
    country (fields "shipping.<name>" / "billing.<name>" on refusal). A chosen shipping
    method that does not reach the new address is dropped."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, dict[str, str]] = {}
    for prefix, data in (("shipping", shipping), ("billing", billing)):
        if data is None:
            continue
        try:
            cleaned[prefix] = _clean_address(data, prefix)
        except ValidationFailed as error:
            errors.update(error.fields)
    if errors:
        raise ValidationFailed("The address is not complete.", fields=errors)
    with transaction.atomic():
        locked = _lock_open(checkout)
        locked.shipping_address = cleaned["shipping"]
        billing_address = cleaned.get("billing", {})
        locked.billing_address = {} if billing_address == cleaned["shipping"] else billing_address
        if locked.shipping_method_id is not None and not _method_reaches(locked):
            locked.shipping_method_id = None
        _save(checkout, locked, ["shipping_address", "billing_address", "shipping_method_id"])
    return checkout


def _pricer(checkout: Checkout, lines: list[_CartLine]) -> CartPricer:
    """The lines on sale, read for pricing at the shipping address (or the shop's country)
    once: the variants come from the cart lines already read."""
    address = checkout.shipping_address or {}
    sellable = [line for line in lines if line.on_sale]
    return cart_pricer(
        lines=[LineInput(variant_id=line.variant.pk, quantity=line.quantity) for line in sellable],
        country=address.get("country") or _shop_country(),
        region=address.get("region", ""),
        variants={line.variant.pk: line.variant for line in sellable},
    )


def _goods_priced(checkout: Checkout, lines: list[_CartLine], pricer: CartPricer | None = None) -> PricedCart:
    """The goods priced for the destination with the voucher (or without it, if it no
    longer applies): its free_shipping_subtotal is what shipping thresholds compare."""
    pricer = pricer or _pricer(checkout, lines)
    try:
        return pricer.price(voucher_code=checkout.voucher_code or None, customer_key=_customer_key(checkout))
    except ValidationFailed as error:
        if "voucher" not in error.fields:
            raise
        return pricer.price()


def _quotes(checkout: Checkout, lines: list[_CartLine], goods: PricedCart) -> list[Quote]:
    country = (checkout.shipping_address or {}).get("country")
    if not country:
        return []
    return shipping_quotes(
        country=country, weight_grams=_weight(lines), subtotal=goods.free_shipping_subtotal
    )


def _method_reaches(checkout: Checkout) -> bool:
    lines = [line for line in _cart_lines(checkout.cart) if line.on_sale]
    if not lines:
        return False
    quotes = _quotes(checkout, lines, _goods_priced(checkout, lines))
    return any(quote.method_id == checkout.shipping_method_id for quote in quotes)


def _parse_method_id(value: object) -> int:
    if (
        isinstance(value, str)
        and value.strip().isascii()
        and value.strip().isdigit()
        and len(value.strip()) < 19
    ):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    message = "Choose a shipping method."
    raise ValidationFailed(message, fields={"shipping_method": [message]})


def checkout_lines(*, checkout: Checkout) -> list[_CartLine]:
    """The cart's lines as this checkout sees them (its own reservation counted as
    available), to hand to the steps and `checkout_summary` of the same request so that
    they are read once."""
    return _cart_lines(checkout.cart, checkout)


def checkout_set_shipping(
    *, checkout: Checkout, method_id: int | str, lines: list[_CartLine] | None = None
) -> Checkout:
    """Choose a shipping method: one of those quoted for the shipping address's country,
    the cart's weight (variants' weight_grams) and its goods value after discounts.
    `lines`: from `checkout_lines` in this request, if the caller read them.

    Refused (field "shipping_method") without an address or for a method that does not
    reach the address or take this order."""
    pk = _parse_method_id(method_id)
    if not (checkout.shipping_address or {}).get("country"):
        message = "Enter the delivery address first."
        raise ValidationFailed(message, fields={"shipping_method": [message]})
    if lines is None:
        lines = _cart_lines(checkout.cart)
    lines = [line for line in lines if line.on_sale]
    if not lines:
        raise ValidationFailed(
            "Your cart is empty.", code="cart_empty", fields={"cart": ["Your cart is empty."]}
        )
    goods = _goods_priced(checkout, lines)
    address = checkout.shipping_address
    shipping_quote(
        method_id=pk,
        country=address["country"],
        weight_grams=_weight(lines),
        subtotal=goods.free_shipping_subtotal,
    )
    with transaction.atomic():
        locked = _lock_open(checkout)
        locked.shipping_method_id = pk
        _save(checkout, locked, ["shipping_method_id"])
    return checkout


def voucher_guess_limits() -> tuple[Limit, Limit]:
    """Unknown voucher codes one checkout, and one client address, may try (settings
    VOUCHER_ATTEMPTS_PER_CHECKOUT / _PER_CLIENT): without them codes can be guessed by
    the hundred a second. Only unknown codes count: a real code refused for its dates or
    minimum spend was no guess."""
    return (
        Limit.parse("voucher.checkout", settings.VOUCHER_ATTEMPTS_PER_CHECKOUT),
        Limit.parse("voucher.client", settings.VOUCHER_ATTEMPTS_PER_CLIENT),
    )


def checkout_set_voucher(
    *, checkout: Checkout, code: str, client: str | None = None, now: float | None = None
) -> Checkout:
    """Apply a voucher code, checked now by pricing (dates, limits, minimum spend, and the
    customer's own limit once the email or account is known). Field "voucher" on refusal;
    RateLimited (429) once this checkout or this `client` address tried too many unknown codes."""
    per_checkout, per_client = voucher_guess_limits()
    subjects = [(per_checkout, checkout.token), *([(per_client, client)] if client else [])]
    for limit, subject in subjects:
        verdict = limit_check(limit, subject, now=now)
        if not verdict.allowed:
            minutes = max(1, round(verdict.retry_after / 60))
            message = (
                f"Too many voucher codes tried. Please wait {minutes} minute{'s' if minutes != 1 else ''}."
            )
            raise RateLimited(message, retry_after=verdict.retry_after, fields={"voucher": [message]})
    try:
        return _voucher_apply(checkout, code)
    except ValidationFailed as refused:
        if refused.code == "voucher_unknown":
            for limit, subject in subjects:
                limit_record(limit, subject, now=now)
        raise


def _voucher_apply(checkout: Checkout, code: str) -> Checkout:
    text = code.strip().upper() if isinstance(code, str) else ""
    if len(text) > 64:
        message = "We don't recognise this voucher code. Check it and try again."
        raise ValidationFailed(message, code="voucher_unknown", fields={"voucher": [message]})
    lines = [line for line in _cart_lines(checkout.cart) if line.on_sale]
    if not lines:
        raise ValidationFailed(
            "Your cart is empty.", code="cart_empty", fields={"cart": ["Your cart is empty."]}
        )
    subtotal = sum((line.variant.price_amount * line.quantity for line in lines), Decimal(0))
    voucher = voucher_check(code=text, subtotal=subtotal, customer_key=_customer_key(checkout))
    with transaction.atomic():
        locked = _lock_open(checkout)
        locked.voucher_code = voucher.code
        _save(checkout, locked, ["voucher_code"])
    return checkout


def checkout_remove_voucher(*, checkout: Checkout) -> Checkout:
    with transaction.atomic():
        locked = _lock_open(checkout)
        locked.voucher_code = ""
        _save(checkout, locked, ["voucher_code"])
    return checkout


def checkout_set_payment_token(
    *, checkout: Checkout, token: str, last4: str = "", brand: str = ""
) -> Checkout:
    """Keep the card token the gateway's hosted form returned (with the last four digits
    and brand, for display only). A card number is refused (field "payment_token")."""
    cleaned = _clean_payment_token(token)
    last4 = (
        last4 if isinstance(last4, str) and last4.isascii() and last4.isdigit() and len(last4) == 4 else ""
    )
    brand = brand.strip()[:32] if isinstance(brand, str) and brand.strip().isprintable() else ""
    with transaction.atomic():
        locked = _lock_open(checkout)
        locked.payment_token, locked.payment_last4, locked.payment_brand = cleaned, last4, brand
        _save(checkout, locked, ["payment_token", "payment_last4", "payment_brand"])
    return checkout


def checkout_payment_url(*, checkout: Checkout, return_url: str, shop_origin: str) -> str:
    """The gateway's hosted card form for this checkout; it sends the shopper back to
    `return_url` with `session` (the checkout token) and `token` in the query string.
    `return_url` must be on the shop's own site (`shop_origin`, the origin it was asked
    on, or PAYMENT_RETURN_ORIGINS) or an app link (PAYMENT_RETURN_SCHEMES)."""
    if checkout.status != Checkout.Status.OPEN:
        raise Conflict(CLOSED, code="checkout_closed")
    return payment_hosted_form_url(
        session_ref=str(checkout.token), return_url=return_url, shop_origin=shop_origin
    )
