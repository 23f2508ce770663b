"""One error format for every 4xx answer of the API:

    {"error": {"code": "not_found", "message": "...", "fields": {"limit": ["..."]}}}

Domain errors, ninja's validation, auth and throttling errors, Http404, unknown routes
and wrong methods all come out in this shape, so a client needs one error parser.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError

from shopstack.core.errors import DomainError, RateLimited

JSON = "application/json; charset=utf-8"

# Codes for ninja's HttpError by status, for the ones the API can answer with.
HTTP_ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    429: "throttled",
}


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> bytes:
    return json.dumps(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, separators=(",", ":")
    ).encode()


def error_response(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> HttpResponse:
    response = HttpResponse(error_body(code, message, fields), status=status, content_type=JSON)
    response["Cache-Control"] = "no-store"
    return response


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """ninja's [{"loc": ("query", "limit"), "msg": ...}] as {"limit": [msg]}."""
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("query", "attr", 0) names the parameter `attr`; the source alone names the body.
        name = loc[1] if len(loc) > 1 else (loc[0] if loc else "request")
        if loc[:1] == ["body"] and len(loc) > 2 and not loc[2].isdigit():
            # A schema body, ("body", "payload", "quantity"): the field, not the argument name.
            name = loc[2]
        fields.setdefault(name, []).append(str(error.get("msg", "Not valid.")))
    return fields


def _on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = error_response(exc.status, exc.code, exc.message, exc.fields)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return error_response(
        422, "validation_error", "Some parameters are not valid.", validation_fields(exc.errors)
    )


def _on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "Not found.")


def _on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    # ninja adds Retry-After to what this returns.
    return error_response(429, "throttled", "Too many requests; slow down and retry later.")


def _on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(401, "not_authenticated", "Sign in to use this endpoint.")
    response["WWW-Authenticate"] = 'X-Session-Token realm="api"'
    return response


def _on_authorization_error(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error_response(403, "forbidden", "You may not do this.")


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, DomainError):
        # ninja answers 400 for anything its parser raises; the parser (boundary.py) refuses
        # some bodies on purpose (415, 422) and those keep their own status and fields.
        return _on_domain_error(request, exc.__cause__)
    return error_response(exc.status_code, HTTP_ERROR_CODES.get(exc.status_code, "error"), exc.message)


def _on_request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django's own answer would be its HTML 400; 413 is what the condition is.
    _log_suspicious(request, exc)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error_response(
        413,
        "payload_too_large",
        f"The request body is larger than the {limit} bytes this API accepts.",
        {"body": [f"At most {limit} bytes."]},
    )


def _on_suspicious_operation(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    # E.g. TooManyFieldsSent: more query parameters than DATA_UPLOAD_MAX_NUMBER_FIELDS.
    _log_suspicious(request, exc)
    return error_response(400, "bad_request", "The request is not one this API can read.")


def _log_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> None:
    # As Django logs the SuspiciousOperations it answers itself, so alerts on them still fire.
    logging.getLogger(f"django.security.{type(exc).__name__}").warning(
        "%s: %s", request.path, exc, extra={"status_code": 400, "request": request}
    )


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default 4xx bodies; unexpected exceptions still go to Django (500)."""
    api.add_exception_handler(DomainError, _on_domain_error)
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(Throttled, _on_throttled)
    api.add_exception_handler(AuthenticationError, _on_authentication_error)
    api.add_exception_handler(AuthorizationError, _on_authorization_error)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(RequestDataTooBig, _on_request_too_big)
    api.add_exception_handler(SuspiciousOperation, _on_suspicious_operation)


def unknown_route(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under /api/ that no endpoint answers: JSON, not the storefront's HTML page."""
    return error_response(404, "not_found", f"No API endpoint at {request.path}.")


def with_json_method_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers a wrong method with a plain-text 405; give it the API's error format."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(
                405, "method_not_allowed", f"{request.method} is not allowed here; use {allowed}."
            )
            response["Allow"] = allowed
        return response

    return wrapper
