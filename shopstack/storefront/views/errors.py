import sys

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

# Seconds a client should wait before trying again while the database is away (a restart
# or failover takes a few seconds; connections are re-opened on the next request).
RETRY_AFTER_SECONDS = 5


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return HttpResponse(loader.render_to_string("404.html", {}, request), status=404)


def _database_unavailable() -> bool:
    error = sys.exc_info()[1]
    return isinstance(error, (OperationalError, InterfaceError))


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
        response = HttpResponse(loader.render_to_string("500.html", context), status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
