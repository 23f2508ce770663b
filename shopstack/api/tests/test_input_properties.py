"""Property: a control character in any text input of any endpoint is a 422 naming that
input. The inputs are read from the OpenAPI schema (every string in a JSON body, at any
depth, and every string query, path and header parameter), so a new endpoint or field is
covered without touching this test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopstack.api.tests.analytics_shop import make_analyst
from shopstack.api.tests.conftest import PASSWORD, error_of
from shopstack.api.v1 import api

SPEC = api.get_openapi_schema(path_prefix="/api/v1")
SCHEMAS: dict[str, Any] = SPEC.get("components", {}).get("schemas", {})
METHODS = {"get", "post", "put", "patch", "delete"}

# C0, DEL and C1: what a URL or a header can carry. JSON can also carry lone surrogates.
CONTROL = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
# No "/": Django decodes %2F in a path, and a path parameter is one segment.
ORDINARY = st.text(
    st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"), exclude_characters="/"), max_size=8
)


@dataclass(frozen=True)
class Input:
    method: str
    path: str  # the OpenAPI template, e.g. /api/v1/checkout/{token}/voucher
    where: str  # body, query, path or header
    name: str  # dotted for body fields: shipping.full_name
    path_params: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} {self.where}:{self.name}"


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_string(schema: dict[str, Any]) -> bool:
    schema = _resolve(schema)
    if schema.get("type") == "string":
        return True
    if schema.get("type") == "array":
        return _is_string(schema.get("items", {}))
    return any(_is_string(option) for option in schema.get("anyOf", []))


def _string_fields(schema: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted names of the string fields of a JSON body schema, at any depth."""
    schema = _resolve(schema)
    for option in schema.get("anyOf", []):
        yield from _string_fields(option, prefix)
    for name, field in schema.get("properties", {}).items():
        dotted = f"{prefix}.{name}" if prefix else name
        if _is_string(field):
            yield dotted
        else:
            yield from _string_fields(field, dotted)


def _inputs() -> list[Input]:
    found = []
    for path, operations in SPEC["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            parameters = operation.get("parameters", [])
            path_params = tuple(
                (p["name"], "1" if _resolve(p["schema"]).get("type") == "integer" else "x")
                for p in parameters
                if p["in"] == "path"
            )
            for parameter in parameters:
                if parameter["in"] in {"query", "path", "header"} and _is_string(parameter["schema"]):
                    found.append(Input(method, path, parameter["in"], parameter["name"], path_params))
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                for name in _string_fields(body["schema"]):
                    found.append(Input(method, path, "body", name, path_params))
    return found


INPUTS = _inputs()


def test_the_inputs_are_read_from_the_schema() -> None:
    names = {str(item) for item in INPUTS}
    for expected in (
        "PUT /api/v1/checkout/{token}/address body:shipping.full_name",
        "PATCH /api/v1/checkout/{token}/address body:billing.line2",
        "PUT /api/v1/checkout/{token}/voucher body:code",
        "POST /api/v1/checkout/{token}/place header:Idempotency-Key",
        "GET /api/v1/search query:q",
        "GET /api/v1/products query:attr",
        "GET /api/v1/orders/{number} path:number",
        "GET /api/v1/analytics/overview query:start",
        "GET /api/v1/analytics/products query:sort",
    ):
        assert expected in names


@pytest.fixture
def signed_in(user, settings, request) -> Client:
    # Signed in so that endpoints needing a user check their input rather than answer 401;
    # the analytics reports answer 403 before reading any input unless the user may see them.
    settings.API_THROTTLE_ANON = settings.API_THROTTLE_AUTH = settings.API_THROTTLE_EVENTS = "100000/m"
    if request.node.callspec.params["item"].path.startswith("/api/v1/analytics/"):
        make_analyst(user)
    client = Client()
    client.login(email=user.email, password=PASSWORD)
    return client


def _nested(dotted: str, value: str) -> dict[str, Any]:
    head, _, rest = dotted.partition(".")
    return {head: _nested(rest, value) if rest else value}


def _send(client: Client, item: Input, value: str) -> Any:
    path = item.path
    for name, filler in item.path_params:
        text = value if item.where == "path" and name == item.name else filler
        path = path.replace(f"{{{name}}}", quote(text, safe=""))
    if item.where == "query":
        path = f"{path}?{urlencode({item.name: value})}"
    headers = {item.name: value} if item.where == "header" else {}
    body = json.dumps(_nested(item.name, value)) if item.where == "body" else None
    return client.generic(
        item.method.upper(), path, body or "", content_type="application/json", headers=headers
    )


@pytest.mark.parametrize("item", INPUTS, ids=str)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=ORDINARY, after=ORDINARY, data=st.data())
def test_a_control_character_in_any_input_is_422_naming_it(
    signed_in: Client, item: Input, before: str, after: str, data: st.DataObject
) -> None:
    refused = CONTROL + SURROGATES if item.where == "body" else CONTROL
    character = data.draw(st.sampled_from(refused), label="character")
    response = _send(signed_in, item, f"{before}{character}{after}")
    assert response.status_code == 422, (str(item), response.content[:300])
    error = error_of(response)
    assert error["code"] == "invalid_characters"
    assert item.name in error["fields"]
