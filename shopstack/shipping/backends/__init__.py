"""Carriers: who prints the label and tracks the parcel. Chosen by settings.SHIPPING_CARRIER."""

from __future__ import annotations

from shopstack.core.backends import load_backend
from shopstack.shipping.backends.base import Carrier


def carrier() -> Carrier:
    """The carrier configured in settings.SHIPPING_CARRIER."""
    return load_backend("SHIPPING_CARRIER")
