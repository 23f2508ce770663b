from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, URLResolver, path, re_path

from shopstack.api.boundary import guard_path_and_headers
from shopstack.api.errors import unknown_route, with_json_method_errors
from shopstack.api.v1 import api


def index(request: HttpRequest) -> JsonResponse:
    """Where the documentation is."""
    return JsonResponse(
        {
            "docs": request.build_absolute_uri("docs"),
            "openapi": request.build_absolute_uri("openapi.json"),
        }
    )


def _v1_urls() -> tuple[list[URLPattern | URLResolver], str, str]:
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = with_json_method_errors(guard_path_and_headers(api, pattern.callback))
    return patterns, app_name, namespace


urlpatterns = [
    # Before ninja's own root view, which raises a 404 that Django would render as HTML.
    path("v1/", index),
    path("v1/", _v1_urls()),
    # Anything else under /api/ is a JSON 404, not the storefront's page.
    re_path(r"^", unknown_route),
]
