"""The collector's own endpoints: the page beacon and the consent banner's answer.

Neither carries a CSRF token (the beacon cannot; the banner's form sits in pages cached for
every visitor): both accept only same-origin requests, as the browser reports them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shopstack.analytics.beacon import BeaconRefused, engagement_read, same_origin
from shopstack.analytics.consent import consent_cookie_set
from shopstack.analytics.schema import Kind
from shopstack.analytics.visitors import visit_cookies_forget
from shopstack.analytics.web import action_record, stored_path
from shopstack.core.clients import client_address
from shopstack.core.limits import Limit, limit_consume

CHOICES = {"accept": True, "decline": False}


def _refused(error: BeaconRefused) -> JsonResponse:
    body = {"error": {"code": error.code, "message": error.message, "fields": error.fields}}
    response = JsonResponse(body, status=error.status)
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_POST
def beacon(request: HttpRequest) -> HttpResponse:
    """POST /a/e: how long a page was visible (page_engagement). 204, or a 4xx naming the
    field at fault, and then nothing is recorded."""
    try:
        if not same_origin(request):
            raise BeaconRefused(403, "cross_site", "Only the shop's own pages may send the beacon.")
        verdict = limit_consume(
            Limit.parse("analytics-beacon", settings.ANALYTICS_BEACON_RATE), client_address(request)
        )
        if not verdict.allowed:
            raise BeaconRefused(429, "throttled", f"Too many beacons; try again in {verdict.retry_after} s.")
        engagement = engagement_read(
            content_type=request.content_type or "",
            charset=request.content_params.get("charset"),
            body=request.body,
        )
    except BeaconRefused as error:
        return _refused(error)
    if settings.ANALYTICS_TRACKING:
        action_record(
            request,
            Kind.PAGE_ENGAGEMENT,
            active=False,
            path=_page_path(engagement.path),
            engaged_ms=engagement.engaged_ms,
        )
    response = HttpResponse(status=204)
    response["Cache-Control"] = "no-store"
    return response


def _page_path(path: str) -> str:
    try:
        arguments = resolve(path).kwargs
    except Resolver404:
        arguments = {}
    return stored_path(path, arguments)


@csrf_exempt
@require_POST
def consent(request: HttpRequest) -> HttpResponse:
    """POST /a/consent (the banner's form, no JavaScript needed): remember the visitor's
    answer in a cookie and go back to the page they were on."""
    if not same_origin(request):
        return _consent_error(request, 403, {"origin": ["Answer from the shop's own page."]})
    choice = request.POST.get("choice", "")
    if choice not in CHOICES:
        return _consent_error(request, 400, {"choice": ["Choose accept or decline."]})
    back = request.POST.get("next", "")
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = HttpResponseRedirect(back, status=303)
    accepted = CHOICES[choice]
    consent_cookie_set(response, request, accepted=accepted)
    if not accepted:
        visit_cookies_forget(response, request)
    response["Cache-Control"] = "no-store"
    return response


def _consent_error(request: HttpRequest, status: int, fields: dict[str, list[str]]) -> HttpResponse:
    context = {"fields": fields, "status": status, "noindex": True}
    return render(request, "analytics/consent_refused.html", context, status=status)
