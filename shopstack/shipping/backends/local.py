"""A carrier that needs no network: for a new shop that posts its own parcels, for the
demo and for tests. It keeps no state: the tracking number is derived from the
idempotency key (so a retry gets the same number) and carries a check character (so a
number it never issued is recognised)."""

from __future__ import annotations

import base64
import hashlib
import re

from django.conf import settings

from shopstack.core.errors import NotFound
from shopstack.shipping.backends.base import Carrier, ShipmentLabel

BODY_LENGTH = 12


class LocalCarrier(Carrier):
    def __init__(self, prefix: str = "SS", base_url: str | None = None) -> None:
        self.prefix = prefix.upper()
        self.base_url = base_url
        self._pattern = re.compile(rf"^{re.escape(self.prefix)}([A-Z2-7]{{{BODY_LENGTH}}})([A-Z2-7])$")

    def create_shipment(
        self,
        *,
        shipment_ref: str,
        idempotency_key: str,
        service_code: str,
        weight_grams: int,
        to_country: str,
        to_postal_code: str,
    ) -> ShipmentLabel:
        self.check_request(
            shipment_ref=shipment_ref,
            idempotency_key=idempotency_key,
            service_code=service_code,
            weight_grams=weight_grams,
            to_country=to_country,
        )
        body = _base32(f"shipment:{idempotency_key}")[:BODY_LENGTH]
        number = f"{self.prefix}{body}{self._check(body)}"
        return ShipmentLabel(tracking_number=number, tracking_url=self.tracking_url(number))

    def tracking_url(self, tracking_number: str) -> str:
        # Read at call time: no settings at import. The page lives under the shop itself.
        base = (self.base_url or settings.SHOP_BASE_URL).rstrip("/")
        return f"{base}/tracking/{tracking_number}/"

    def cancel_shipment(self, tracking_number: str) -> None:
        match = self._pattern.match(tracking_number or "")
        if match is None or self._check(match.group(1)) != match.group(2):
            raise NotFound(
                "No shipment has this tracking number.",
                code="unknown_shipment",
                fields={"tracking_number": ["Not a tracking number of this carrier."]},
            )
        # Nothing to void: the shop's own post room just does not send the parcel.

    def _check(self, body: str) -> str:
        return _base32(f"check:{self.prefix}{body}")[0]


def _base32(text: str) -> str:
    return base64.b32encode(hashlib.sha256(text.encode()).digest()).decode().rstrip("=")
