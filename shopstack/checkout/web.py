"""How a request finds its cart: shared by the cart pages, the API and the login hook.

Browsers keep a guest cart's signed token in the session; apps send it in the
`X-Cart-Token` header. Signed-in customers always use their own cart.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from shopstack.checkout import services
from shopstack.checkout.models import Cart

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
