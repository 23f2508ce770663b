import base64
import hashlib
import re
import sys
from functools import lru_cache

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.csp import CSP, build_policy

# Seconds a client should wait before trying again while the database is away (a restart
# or failover takes a few seconds; connections are re-opened on the next request).
RETRY_AFTER_SECONDS = 5


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("404.html", {}, request), status=404)


def _database_unavailable() -> bool:
    error = sys.exc_info()[1]
    return isinstance(error, (OperationalError, InterfaceError))


_INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@lru_cache(maxsize=4)
def _style_source(css: str) -> str:
    digest = hashlib.sha256(css.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _allow_own_inline_style(response: HttpResponse, html: str) -> None:
    """The error page carries its CSS inline (a static file may be what failed): the
    Content-Security-Policy of this one answer names that exact stylesheet by its hash."""
    policy: dict[str, list[str]] = dict(settings.SECURE_CSP)
    match = _INLINE_STYLE.search(html)
    if not policy or match is None:
        return
    policy["style-src"] = [*policy.get("style-src", policy.get("default-src", [])), _style_source(match[1])]
    # The middleware leaves a header the view has set alone.
    response.headers[CSP.HEADER_ENFORCE] = build_policy(policy)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with Retry-After when the database could not be reached: the shopper or
    app can repeat the request (placing an order is idempotent), and a load balancer sees
    a temporary condition. API clients get the API's JSON error shape."""
    unavailable = _database_unavailable()
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        code, message = (
            ("service_unavailable", "The shop is briefly unavailable; please retry.")
            if unavailable
            else ("server_error", "Something went wrong on our side.")
        )
        response: HttpResponse = JsonResponse({"error": {"code": code, "message": message, "fields": {}}})
        response.status_code = status
        response["Cache-Control"] = "no-store"
    else:
        # No request context: the failure may be in a context processor or the database.
        context = {"shop_name": settings.SHOP_NAME, "unavailable": unavailable}
        html = loader.render_to_string("500.html", context)
        response = HttpResponse(html, status=status)
        _allow_own_inline_style(response, html)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
