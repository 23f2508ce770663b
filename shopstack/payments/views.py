"""Gateway webhooks: the signature authenticates the request, so no CSRF token is needed."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shopstack.core.errors import DomainError
from shopstack.payments.services import payment_handle_webhook


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, gateway: str) -> JsonResponse:
    try:
        applied = payment_handle_webhook(gateway=gateway, body=request.body, headers=request.headers)
    except DomainError as error:
        return JsonResponse({"error": error.as_dict()}, status=error.status)
    return JsonResponse({"received": True, "duplicate": not applied})
