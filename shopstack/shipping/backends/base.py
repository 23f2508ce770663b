"""What every carrier must do for the fulfilment workflow."""

from __future__ import annotations

from dataclasses import dataclass

from shopstack.accounts.countries import is_country_code
from shopstack.core.errors import ValidationFailed

MAX_PARCEL_GRAMS = 70_000


@dataclass(frozen=True, slots=True)
class ShipmentLabel:
    tracking_number: str
    tracking_url: str
    label_url: str | None = None


class Carrier:
    """A shipping carrier. `create_shipment` must be idempotent per `idempotency_key`: the
    workflow retries it after a crash and must get the same parcel back, not a second one."""

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
        raise NotImplementedError("Carrier subclasses must implement create_shipment()")

    def tracking_url(self, tracking_number: str) -> str:
        raise NotImplementedError("Carrier subclasses must implement tracking_url()")

    def cancel_shipment(self, tracking_number: str) -> None:
        """Void the label. Raises NotFound (code "unknown_shipment") for a number this
        carrier never issued; cancelling twice is not an error."""
        raise NotImplementedError("Carrier subclasses must implement cancel_shipment()")

    @staticmethod
    def check_request(
        *, shipment_ref: str, idempotency_key: str, service_code: str, weight_grams: int, to_country: str
    ) -> None:
        """Refuse what no carrier would accept, with field messages; for subclasses to call."""
        problems: dict[str, list[str]] = {}
        for field, value in (
            ("shipment_ref", shipment_ref),
            ("idempotency_key", idempotency_key),
            ("service_code", service_code),
        ):
            if not isinstance(value, str) or not value.strip() or len(value) > 128:
                problems[field] = ["Send 1 to 128 characters."]
        if isinstance(weight_grams, bool) or not isinstance(weight_grams, int) or weight_grams <= 0:
            problems["weight_grams"] = ["Must be a whole number of grams, more than zero."]
        elif weight_grams > MAX_PARCEL_GRAMS:
            problems["weight_grams"] = [f"At most {MAX_PARCEL_GRAMS} grams per parcel."]
        if not isinstance(to_country, str) or not is_country_code(to_country):
            problems["to_country"] = ["Choose a country (ISO 3166-1 alpha-2 code)."]
        if problems:
            raise ValidationFailed("The shipment cannot be created.", fields=problems)
