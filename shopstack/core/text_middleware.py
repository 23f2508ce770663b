"""Pages refuse control characters before any view runs (`shopstack.core.text`).

Every page request's path parameters, query string and form fields are checked; a refused
character is a 400 page naming the field, and the view never sees it. TAB, LF and CR are
let through here, since a page may have textareas; views whose input goes through forms
(marked with `text_checked_by_form`) get field errors from the forms instead, which also
refuse them in single-line fields. The API (/api/) checks its own input in its JSON error
format, and allauth's headless API (/_allauth/) reads JSON through its own forms, which
refuse U+0000 with a 400 of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from shopstack.core.text import refusal_message, refused_character

OWN_CHECKS = ("/api/", "/_allauth/")


def refused_fields(
    request: HttpRequest, path_parameters: dict[str, Any], *, forms_check_data: bool = False
) -> dict[str, list[str]]:
    """{field: [message]} for each path parameter, query or form field holding a refused
    character; only path parameters when the view's forms check the query and form data."""
    fields: dict[str, list[str]] = {}
    sources: list[tuple[str, list[Any]]] = [(name, [value]) for name, value in path_parameters.items()]
    if not forms_check_data:
        sources += list(request.GET.lists())
        if request.method == "POST":
            sources += list(request.POST.lists())
    for name, values in sources:
        for value in (name, *values):
            character = refused_character(value, multiline=True) if isinstance(value, str) else None
            if character is not None:
                fields.setdefault(name, [refusal_message(character)])
    return fields


class ControlCharacterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.path.startswith(OWN_CHECKS):
            return None
        forms_check_data = getattr(view_func, "text_checked_by_form", False)
        fields = refused_fields(request, view_kwargs, forms_check_data=forms_check_data)
        if not fields:
            return None
        response = TemplateResponse(
            request, "400_input.html", {"fields": fields, "noindex": True}, status=400
        )
        response["Cache-Control"] = "no-store"
        return response.render()
