"""Input the API refuses at its front door: bodies that are not JSON (415), bodies over the
size limit (413), too many parameters (400), and control characters anywhere (422 naming
the field), all in the API's error format and changing nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from shopstack.api.tests.conftest import PASSWORD, error_of
from shopstack.checkout.models import Cart, Checkout
from shopstack.testing.cart import make_cart, signed_token
from shopstack.testing.checkout import ADDRESS, ensure_checkout_data
from shopstack.testing.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def mug(db: None):
    ensure_checkout_data()
    return make_product(name="Enamel mug", price="10.00", stock=5)


def _add_line(client: Client, variant_id: int, content_type: str) -> Any:
    body = json.dumps({"variant_id": variant_id, "quantity": 1})
    return client.post("/api/v1/cart/lines", body, content_type=content_type)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_json_body_sent_as_another_type_is_415_and_changes_nothing(client, mug, content_type) -> None:
    response = _add_line(client, mug.variants.get().pk, content_type)
    assert response.status_code == 415, response.content
    error = error_of(response)
    assert error["code"] == "unsupported_media_type"
    assert "Content-Type" in error["fields"]
    assert not Cart.objects.exists()


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "application/merge-patch+json"]
)
def test_json_types_are_accepted(client, mug, content_type) -> None:
    assert _add_line(client, mug.variants.get().pk, content_type).status_code == 201


def test_a_bodyless_post_needs_no_content_type(mug) -> None:
    cart = make_cart(lines={mug: 1})
    client = Client(headers={"X-Cart-Token": signed_token(cart)})
    assert client.post("/api/v1/checkout", content_type="text/plain").status_code == 201


def test_a_body_over_the_limit_is_413_json(client, mug, settings, caplog) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"variant_id": mug.variants.get().pk, "quantity": 1, "pad": "x" * 2000})
    with caplog.at_level(logging.WARNING, logger="django.security"):
        response = client.post("/api/v1/cart/lines", body, content_type="application/json")
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert "1000 bytes" in error["message"]
    assert not Cart.objects.exists()
    assert any(record.name == "django.security.RequestDataTooBig" for record in caplog.records)


def test_too_many_query_parameters_are_400_json(client, db, settings) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"attr=a{i}:b" for i in range(20))
    response = client.get(f"/api/v1/products?{query}")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


class Guest:
    def __init__(self, cart: Cart) -> None:
        self.client = Client(headers={"X-Cart-Token": signed_token(cart)})

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(f"/api/v1{path}", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x85", "\n", "\ud800"])
def test_control_characters_in_an_address_are_422_naming_the_field_and_change_nothing(mug, character) -> None:
    guest = Guest(make_cart(lines={mug: 1}))
    token = guest.client.post("/api/v1/checkout").json()["token"]
    shipping = {**ADDRESS, "full_name": f"Ann{character}Example"}
    response = guest.put(f"/checkout/{token}/address", {"shipping": shipping})
    assert response.status_code == 422, response.content
    error = error_of(response)
    assert error["code"] == "invalid_characters"
    assert list(error["fields"]) == ["shipping.full_name"]
    assert f"U+{ord(character):04X}" in error["fields"]["shipping.full_name"][0]
    assert Checkout.objects.get(token=token).shipping_address in ({}, None)


def test_a_nul_in_a_voucher_code_is_422(mug) -> None:
    guest = Guest(make_cart(lines={mug: 1}))
    token = guest.client.post("/api/v1/checkout").json()["token"]
    response = guest.put(f"/checkout/{token}/voucher", {"code": "SAVE\x0010"})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["code"]
    assert Checkout.objects.get(token=token).voucher_code == ""


def test_a_control_character_in_a_json_key_names_the_key(mug) -> None:
    guest = Guest(make_cart(lines={mug: 1}))
    token = guest.client.post("/api/v1/checkout").json()["token"]
    response = guest.put(f"/checkout/{token}/voucher", {"code": "X", "no\x00te": "x"})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["no\x00te"]


def test_control_characters_in_query_path_and_headers_are_422(client, user) -> None:
    answer = client.get("/api/v1/search", {"q": "mug\x00"})
    assert answer.status_code == 422
    assert list(error_of(answer)["fields"]) == ["q"]
    client.login(email=user.email, password=PASSWORD)
    answer = client.get("/api/v1/orders/A%00B")
    assert answer.status_code == 422
    assert list(error_of(answer)["fields"]) == ["number"]
    answer = client.post(
        "/api/v1/checkout/x/place",
        "{}",
        content_type="application/json",
        headers={"Idempotency-Key": "k\x00"},
    )
    assert answer.status_code == 422
    assert "Idempotency-Key" in error_of(answer)["fields"]


def test_ordinary_text_passes(mug) -> None:
    guest = Guest(make_cart(lines={mug: 1}))
    token = guest.client.post("/api/v1/checkout").json()["token"]
    shipping = {**ADDRESS, "full_name": "Zoë O'Brien-Łukasz 東京 🙂"}
    response = guest.put(f"/checkout/{token}/address", {"shipping": shipping})
    assert response.status_code == 200, response.content
    assert Checkout.objects.get(token=token).shipping_address["full_name"] == shipping["full_name"]


def test_deploy_checks_report_a_missing_middleware_and_an_unlimited_body(settings) -> None:
    from django.core.checks import run_checks

    def ids() -> set[str]:
        return {message.id for message in run_checks(include_deployment_checks=True) if message.id}

    assert not {"shopstack.E030", "shopstack.W030"} & ids()
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.endswith("ControlCharacterMiddleware")]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    assert {"shopstack.E030", "shopstack.W030"} <= ids()
