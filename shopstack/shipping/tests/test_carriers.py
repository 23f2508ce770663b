"""The contract every carrier keeps; add each new backend to BACKENDS."""

import pytest
from django.utils.module_loading import import_string

from shopstack.core.backends import load_backend
from shopstack.core.errors import NotFound, ValidationFailed
from shopstack.shipping.backends import carrier
from shopstack.shipping.backends.base import Carrier
from shopstack.shipping.backends.local import LocalCarrier

BACKENDS = [
    ("shopstack.shipping.backends.local.LocalCarrier", {}),
]


@pytest.fixture(params=BACKENDS, ids=[path.rsplit(".", 1)[-1] for path, _ in BACKENDS])
def backend(request) -> Carrier:
    path, options = request.param
    return import_string(path)(**options)


def create(backend: Carrier, key: str = "order-1/shipment-1", **overrides):
    arguments = {
        "shipment_ref": "S-1",
        "idempotency_key": key,
        "service_code": "uk-standard",
        "weight_grams": 800,
        "to_country": "GB",
        "to_postal_code": "SW1A 1AA",
        **overrides,
    }
    return backend.create_shipment(**arguments)


def test_a_retried_create_returns_the_same_tracking_number(backend):
    first = create(backend)
    again = create(backend)
    assert first.tracking_number
    assert again.tracking_number == first.tracking_number


def test_different_keys_give_different_numbers(backend):
    numbers = {create(backend, key=f"order-{n}/shipment-1").tracking_number for n in range(50)}
    assert len(numbers) == 50


def test_the_tracking_url_names_the_number(backend):
    label = create(backend)
    assert label.tracking_number in label.tracking_url
    assert backend.tracking_url(label.tracking_number) == label.tracking_url
    assert label.tracking_url.startswith("http")


def test_cancel_works_and_unknown_numbers_are_not_found(backend):
    label = create(backend)
    backend.cancel_shipment(label.tracking_number)
    backend.cancel_shipment(label.tracking_number)  # twice is not an error
    with pytest.raises(NotFound) as unknown:
        backend.cancel_shipment(
            label.tracking_number[:-1] + ("A" if label.tracking_number[-1] != "A" else "B")
        )
    assert unknown.value.code == "unknown_shipment"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"weight_grams": 0}, "weight_grams"),
        ({"weight_grams": 2.5}, "weight_grams"),
        ({"weight_grams": 10**7}, "weight_grams"),
        ({"to_country": "XX"}, "to_country"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"shipment_ref": ""}, "shipment_ref"),
    ],
)
def test_bad_shipments_are_refused_with_field_messages(backend, overrides, field):
    with pytest.raises(ValidationFailed) as refused:
        create(backend, **overrides)
    assert field in refused.value.fields


def test_the_setting_chooses_the_carrier():
    assert isinstance(carrier(), LocalCarrier)
    assert carrier() is load_backend("SHIPPING_CARRIER")


def test_the_base_class_says_what_is_missing():
    with pytest.raises(NotImplementedError, match="create_shipment"):
        create(Carrier())
