"""How a request finds its cart, and notes what changed in it: shared by the cart pages,
the API and the login hook.

Browsers keep a guest cart's signed token in the session; apps send it in the
`X-Cart-Token` header. Signed-in customers always use their own cart.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from shopstack.analytics.schema import Kind
from shopstack.analytics.values import order_placed_event_id, to_minor
from shopstack.analytics.web import action_record, cart_change_record
from shopstack.checkout import services
from shopstack.checkout.models import Cart
from shopstack.orders.models import Order

CART_SESSION_KEY = "checkout.cart_token"
CART_TOKEN_HEADER = "X-Cart-Token"


def session_cart(request: HttpRequest, *, create: bool = False) -> Cart | None:
    """The cart of a storefront visitor: the customer's, or the guest cart in the session.

    Reading never writes the session; anonymous visitors without a session cookie cost
    no query. After creating a guest cart, call `remember_session_cart`."""
    user = request.user
    if user.is_authenticated:
        return services.cart_for(customer=user, create=create)  # type: ignore[arg-type]
    if not create and settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    return services.cart_for(token=request.session.get(CART_SESSION_KEY), create=create)


def remember_session_cart(request: HttpRequest, cart: Cart) -> None:
    """Keep a guest cart's signed token in the session (customers' carts need none)."""
    if cart.customer_id is not None:
        return
    signed = services.cart_token_sign(cart=cart)
    if request.session.get(CART_SESSION_KEY) != signed:
        request.session[CART_SESSION_KEY] = signed


def cart_change_note(request: HttpRequest, change: services.LineChange) -> None:
    """Tell analytics what the visitor's change did (units added or taken away)."""
    variant = change.variant
    cart_change_record(
        request,
        product_id=variant.product_id,
        variant_id=variant.pk,
        change=change.change,
        unit_price=variant.price_amount,
        currency=variant.currency,
    )


def order_placed_note(request: HttpRequest, order: Order) -> None:
    """The order this visit placed: what ties a session (and its campaign) to revenue.
    Its event id comes from the order, so a resent placement is kept once, and so is the
    copy without the visit that the outbox writes durably (analytics/order_events.py)."""
    action_record(
        request,
        Kind.ORDER_PLACED,
        event_id=order_placed_event_id(order.pk),
        order_id=order.pk,
        value_minor=to_minor(order.total_amount, order.currency),
        currency=order.currency,
    )
