"""The test gateway's HTTP face: a JSON API for the shop's server, pages for the customer."""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shopstack.payments.testgateway import ledger
from shopstack.payments.testgateway.models import LedgerCharge


def _json(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, status=status)


def _error(status: int, code: str, message: str) -> JsonResponse:
    return _json(status, {"error": {"code": code, "message": message, "fields": {}}})


def _authorized(request: HttpRequest) -> bool:
    expected = ledger.config()["API_KEY"]
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        raise ledger.LedgerError(400, "invalid_json", "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise ledger.LedgerError(400, "invalid_json", "The body must be a JSON object.")
    return data


def _api(handler: Any) -> Any:
    """Bearer-key authentication and the error format for every API view."""

    @csrf_exempt
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _authorized(request):
            return _error(401, "unauthorized", "Send the secret key as a Bearer token.")
        try:
            return handler(request, *args, **kwargs)
        except ledger.LedgerError as error:
            return _json(*error.answer())

    view.__name__ = handler.__name__
    return view


def _key(request: HttpRequest) -> str:
    return request.headers.get("Idempotency-Key", "")


@_api
@require_http_methods(["GET", "POST"])
def charges(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        key = request.GET.get("idempotency_key", "")
        found = LedgerCharge.objects.filter(idempotency_key=key).first() if key else None
        data = (
            [ledger.charge_json(found, action_url=_challenge_url(request, found.reference))] if found else []
        )
        return _json(200, {"object": "list", "data": data})
    data = _body(request)
    with ledger.held_requests.tracked():
        if ledger.arrives_late(key=_key(request), data=data):
            # Nothing is written yet: the charge is made only after the client's timeout, so a
            # lookup in between finds nothing although the charge is on its way.
            ledger.held_requests.hold(float(ledger.config()["SLOW_SECONDS"]))
        status, body, slow = ledger.charge_create(
            key=_key(request), data=data, challenge_url=lambda ref: _challenge_url(request, ref)
        )
        if slow:
            # The charge is committed; the answer is held back past any sensible client timeout,
            # so the shop sees a timeout for a charge that exists. Repeats answer at once.
            ledger.held_requests.hold(float(ledger.config()["SLOW_SECONDS"]))
    return _json(status, body)


@_api
@require_http_methods(["GET"])
def charge_detail(request: HttpRequest, reference: str) -> HttpResponse:
    charge = LedgerCharge.objects.filter(reference=reference).first()
    if charge is None:
        return _error(404, "not_found", "No such charge.")
    return _json(200, ledger.charge_json(charge, action_url=_challenge_url(request, reference)))


@_api
@require_http_methods(["POST"])
def charge_capture(request: HttpRequest, reference: str) -> HttpResponse:
    return _json(*ledger.charge_capture(key=_key(request), reference=reference, data=_body(request)))


@_api
@require_http_methods(["POST"])
def charge_void(request: HttpRequest, reference: str) -> HttpResponse:
    return _json(*ledger.charge_void(key=_key(request), reference=reference))


@_api
@require_http_methods(["POST"])
def charge_refund(request: HttpRequest, reference: str) -> HttpResponse:
    return _json(*ledger.charge_refund(key=_key(request), reference=reference, data=_body(request)))


def _challenge_url(request: HttpRequest, reference: str) -> str:
    return request.build_absolute_uri(reverse("testgateway:challenge", args=[reference]))


class _ReturnRedirect(HttpResponseRedirect):
    """Back to the shop: its web pages, or its app through an app link scheme (myapp://)
    that the shop registered in PAYMENT_RETURN_SCHEMES. Django's own redirect refuses any
    scheme but http, https and ftp."""

    def __init__(self, url: str) -> None:
        self.allowed_schemes = _return_schemes()
        super().__init__(url)


def _return_schemes() -> list[str]:
    return ["http", "https", *(s.lower() for s in settings.PAYMENT_RETURN_SCHEMES)]


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme.lower() if "://" in url else ""
    except ValueError:
        return ""


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))


@require_http_methods(["GET", "POST"])
def hosted_form(request: HttpRequest, session: str) -> HttpResponse:
    """The card form. The number is posted here, to the gateway; the shop gets only a token."""
    source = request.POST if request.method == "POST" else request.GET
    return_url = source.get("return_url", "")
    expected = ledger.hosted_form_signature(session=session, return_url=return_url)
    # The signature is the shop's word that it checked the return URL (only the shop and
    # the gateway know the key); the scheme is checked again because the token goes there.
    if _scheme(return_url) not in _return_schemes() or not hmac.compare_digest(
        source.get("sig", ""), expected
    ):
        return HttpResponse("This payment link is not valid.", status=400, content_type="text/plain")
    context = {"session": session, "return_url": return_url, "sig": expected, "error": ""}
    if request.method == "POST":
        try:
            token = ledger.token_create(card_number=request.POST.get("card_number", ""))
        except ledger.LedgerError as error:
            context["error"] = error.message
            return render(request, "testgateway/pay.html", context, status=400)
        params = {"session": session, "token": token.token, "last4": token.last4, "brand": token.brand}
        return _ReturnRedirect(_with_query(return_url, params))
    return render(request, "testgateway/pay.html", context)


@require_http_methods(["GET", "POST"])
def challenge(request: HttpRequest, reference: str) -> HttpResponse:
    """The 3-D Secure style check: approve or fail, then back to the shop."""
    charge = LedgerCharge.objects.filter(reference=reference).first()
    if charge is None:
        return HttpResponse("No such payment.", status=404, content_type="text/plain")
    if request.method == "POST":
        charge = ledger.challenge_complete(
            reference=reference, approved=request.POST.get("decision") == "approve"
        )
        if charge.return_url:
            return _ReturnRedirect(
                _with_query(charge.return_url, {"charge": reference, "status": charge.status})
            )
    context = {"charge": charge, "amount": ledger.charge_json(charge)["amount"]}
    return render(request, "testgateway/challenge.html", context)
