"""Version 1 of the public REST API, under /api/v1/ (docs at /api/v1/docs)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import NinjaAPI

from shopstack.api.analytics.endpoints import router as analytics_router
from shopstack.api.auth import signed_in
from shopstack.api.boundary import InputParser
from shopstack.api.cart import router as cart_router
from shopstack.api.catalog import router as catalog_router
from shopstack.api.checkout import router as checkout_router
from shopstack.api.errors import install_error_handlers
from shopstack.api.events import router as events_router
from shopstack.api.orders import router as orders_router
from shopstack.api.schemas import ErrorOut, MeOut
from shopstack.api.search import router as search_router
from shopstack.api.throttling import client_throttles

DESCRIPTION = """\
The public API of the shop for web and mobile apps.

**Authentication.** Catalog endpoints are public. Apps sign in through allauth headless
(`/_allauth/app/v1/auth/login`) and send the session token it returns in the
`X-Session-Token` header; the web front end's session cookie works too. Signed-in
clients get their own, higher rate limit. The analytics reports (`/analytics/...`) are for
staff with the `analytics.view_analytics` permission and two-factor authentication only
(401 without a user, 403 for anyone else).

**Errors.** Every 4xx answer has the same body:
`{"error": {"code": "...", "message": "...", "fields": {"param": ["..."]}}}`.
429 answers carry `Retry-After`. Request bodies are JSON sent as `application/json`
(any other Content-Type is 415); a body over the shop's size limit (2.5 MB unless
configured otherwise) is 413. Text anywhere in a request
(body, query, path, headers) may not hold control characters (U+0000-U+001F,
U+007F-U+009F, tabs and newlines included) or lone surrogates: 422 naming the field.

**Caching.** Catalog GET answers carry an `ETag`; send it back in `If-None-Match` to get
a 304. The analytics reports are `Cache-Control: private, no-store`.

**Money.** Prices are decimals as text (`"2.95"`) with an ISO 4217 `currency`.
"""

api = NinjaAPI(
    title="Shopstack API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    throttle=client_throttles(),
    parser=InputParser(),
)
install_error_handlers(api)
api.add_router("", catalog_router)
api.add_router("", search_router)
api.add_router("", cart_router)
api.add_router("", orders_router)
api.add_router("", checkout_router)
api.add_router("", events_router)
api.add_router("", analytics_router)


@api.get(
    "/me",
    auth=signed_in,
    # 422: the X-Session-Token header holds a control character (boundary.py).
    response={200: MeOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    tags=["accounts"],
    summary="The signed-in user",
    operation_id="me",
)
def me(request: HttpRequest) -> dict[str, object]:
    """The user behind the session token or session cookie; 401 if there is none."""
    user = request.auth  # type: ignore[attr-defined]
    return {"id": user.pk, "email": user.email}
