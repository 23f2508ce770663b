"""Order services: placing orders, the workflow's steps, and staff operations.

Public names are imported from here: `from shopstack.orders.services import order_place`.
"""

from shopstack.orders.services.placement import order_place

__all__ = ["order_place"]
