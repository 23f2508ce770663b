"""The API's front door: what a request must look like before any endpoint sees it.

- A body is JSON, sent as JSON: any other Content-Type on an endpoint that takes a body
  is 415 (a `text/plain` body is what a cross-site form can send without a CORS preflight).
- No text anywhere in the input (JSON strings and keys, query and form parameters, path
  parameters, the headers the API reads) holds a control character or a lone surrogate
  (`shopstack.core.text`): 422 naming the field, e.g. `shipping.full_name`. No API field
  is multi-line today, so TAB, CR and LF are refused too.

The body and query checks live in ninja's parser, so they apply exactly to what an
endpoint reads (a multipart/form endpoint's fields go through `parse_querydict`, not
`parse_body`, and keep working); path parameters and headers do not pass through the
parser and are checked by `guard_path_and_headers`, which wraps every endpoint's view.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any, cast

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI
from ninja.parser import Parser

from shopstack.api.errors import error_response
from shopstack.core.errors import DomainError, ValidationFailed
from shopstack.core.text import (
    CODE,
    SUMMARY,
    refusal_message,
    refuse_control_characters,
    refused_character,
    refused_strings,
)

JSON_TYPE = "application/json"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


def is_json(content_type: str | None) -> bool:
    """application/json, or a JSON-based type such as application/merge-patch+json."""
    kind = (content_type or "").lower()
    return kind == JSON_TYPE or (kind.startswith("application/") and kind.endswith("+json"))


class InputParser(Parser):
    """ninja's JSON parser, refusing other media types and control characters."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        # Only called for a non-empty body on an endpoint that reads one. ninja turns what
        # this raises into a 400; errors.py lets a DomainError keep its own status.
        if not is_json(request.content_type):
            raise UnsupportedMediaType(
                f"Send the body as {JSON_TYPE}; {request.content_type or 'no type'} is not accepted.",
                fields={"Content-Type": [f"Must be {JSON_TYPE}."]},
            )
        data = json.loads(request.body)
        refuse_control_characters(refused_strings(data))
        return cast(dict[str, Any], data)

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        refuse_control_characters(_refused_in_querydict(data))
        return super().parse_querydict(data, list_fields, request)


def _refused_in_querydict(data: MultiValueDict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, values in data.lists():
        for value in (name, *values):
            # Uploaded files (FILES) are not text; their names are checked by their schema.
            character = refused_character(value) if isinstance(value, str) else None
            if character is not None:
                yield name, character
                break


@functools.cache
def _header_parameters(api: NinjaAPI) -> tuple[str, ...]:
    """Every header the API reads: header parameters and API-key security schemes."""
    schema = api.get_openapi_schema(path_prefix="")
    names = {
        parameter["name"]
        for path in schema.get("paths", {}).values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "header"
    }
    for scheme in schema.get("components", {}).get("securitySchemes", {}).values():
        if scheme.get("type") == "apiKey" and scheme.get("in") == "header":
            names.add(scheme["name"])
    return tuple(sorted(names))


def guard_path_and_headers(
    api: NinjaAPI, view: Callable[..., HttpResponseBase]
) -> Callable[..., HttpResponseBase]:
    """`view` refusing control characters in its path parameters and the API's headers."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        fields: dict[str, list[str]] = {}
        for name, value in kwargs.items():
            character = refused_character(value) if isinstance(value, str) else None
            if character is not None:
                fields[name] = [refusal_message(character)]
        for name in _header_parameters(api):
            character = refused_character(request.headers.get(name, ""))
            if character is not None:
                fields[name] = [refusal_message(character)]
        if fields:
            error = ValidationFailed(SUMMARY, code=CODE, fields=fields)
            return error_response(error.status, error.code, error.message, error.fields)
        return view(request, *args, **kwargs)

    return wrapper
