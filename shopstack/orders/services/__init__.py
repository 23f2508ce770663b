"""Order services: placing orders, the workflow's steps, and staff operations.

Import public names from here: `from shopstack.orders.services import order_place`.
"""

from shopstack.orders.services.fulfilment import order_mark_delivered, order_ship
from shopstack.orders.services.placement import order_place
from shopstack.orders.services.refunds import (
    order_refund,
    return_approve,
    return_receive,
    return_refund,
    return_reject,
    return_replace,
    return_request,
)
from shopstack.orders.services.staff import order_cancel, order_capture, orders_expire_unfinished_payments
from shopstack.orders.services.workflow import (
    order_log_late_authorization,
    order_payment_apply,
    order_step_failed,
    order_workflow_resume_due,
    order_workflow_run,
)

__all__ = [
    "order_cancel",
    "order_capture",
    "order_log_late_authorization",
    "order_mark_delivered",
    "order_payment_apply",
    "order_place",
    "order_refund",
    "order_ship",
    "order_step_failed",
    "order_workflow_resume_due",
    "order_workflow_run",
    "orders_expire_unfinished_payments",
    "return_approve",
    "return_receive",
    "return_refund",
    "return_reject",
    "return_replace",
    "return_request",
]
