from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def hello(request: HttpRequest) -> HttpResponse:
    """The benchmark ceiling: the same server and middleware, no work."""
    return HttpResponse(b"Hello, world", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "storefront/home.html", {})
