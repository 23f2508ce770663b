"""Orders, their lines and charges, and the order workflow's records.

Issue 3 holds the imported order history (kind order|cancellation, status
completed|cancelled, source import); issue 4 adds orders placed in the shop, which run
through the workflow (see shopstack/orders/workflow.py for the status machine). A
cancellation invoice from an outside system is an Order of kind CANCELLATION whose lines
count the units cancelled (positive numbers); analytics subtract them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models


class Order(models.Model):
    class Kind(models.TextChoices):
        ORDER = "order", "Order"
        CANCELLATION = "cancellation", "Cancellation"

    class Status(models.TextChoices):
        # Imported history
        COMPLETED = "completed", "Completed"
        # The workflow
        PLACED = "placed", "Placed"
        AUTHORIZING = "authorizing", "Authorizing payment"
        ACTION_REQUIRED = "action_required", "Waiting for the customer (3-D Secure)"
        CONFIRMED = "confirmed", "Confirmed (payment authorized)"
        PAID = "paid", "Paid (payment captured)"
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    class PaymentState(models.TextChoices):
        NONE = "", "None"
        PENDING = "pending", "Pending"
        ACTION_REQUIRED = "action_required", "Action required"
        AUTHORIZED = "authorized", "Authorized"
        CAPTURED = "captured", "Captured"
        PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
        REFUNDED = "refunded", "Refunded"
        VOIDED = "voided", "Voided"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Unknown (reconciling)"

    class FulfilmentState(models.TextChoices):
        NONE = "", "None"
        UNFULFILLED = "unfulfilled", "Unfulfilled"
        PARTIALLY_SHIPPED = "partially_shipped", "Partially shipped"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        RELEASED = "released", "Released (cancelled)"

    number = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.ORDER)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.COMPLETED)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    email = models.EmailField(blank=True, help_text="Contact email; guests have no customer")
    country = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    subtotal_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    charges_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    placed_at = models.DateTimeField(db_index=True)
    source = models.CharField(max_length=32, default="shop", help_text="shop, api, or import")
    # Placed in the shop (empty or zero on imported orders)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    voucher_code = models.CharField(max_length=64, blank=True)
    shipping_method_id = models.BigIntegerField(null=True, blank=True)
    shipping_method_name = models.CharField(max_length=100, blank=True)
    weight_grams = models.PositiveIntegerField(default=0)
    checkout_ref = models.CharField(max_length=96, blank=True, help_text="The checkout's stock reservation")
    payment_ref = models.CharField(max_length=64, blank=True, db_index=True)
    payment_return_url = models.URLField(
        max_length=500, blank=True, help_text="Where the gateway sends the customer back after a challenge"
    )
    payment_status = models.CharField(max_length=24, choices=PaymentState.choices, blank=True, default="")
    fulfilment_status = models.CharField(
        max_length=24, choices=FulfilmentState.choices, blank=True, default=""
    )
    cancel_reason = models.CharField(max_length=64, blank=True)
    # The workflow: what it must do next ("" = nothing until an outside event), and when
    # it last moved (the resume sweep re-enqueues orders that stopped moving).
    next_step = models.CharField(max_length=32, blank=True, default="", db_index=True)
    progress_at = models.DateTimeField(null=True, blank=True)
    step_attempts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True, null=True)

    class Meta:
        ordering = ("-placed_at",)

    def __str__(self) -> str:
        return self.number

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None


class OrderAddress(models.Model):
    """The address as it was when the order was placed (a later edit does not move it)."""

    class Kind(models.TextChoices):
        SHIPPING = "shipping", "Shipping"
        BILLING = "billing", "Billing"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    full_name = models.CharField(max_length=200)
    company = models.CharField(max_length=200, blank=True)
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=32)
    country = models.CharField(max_length=2)
    phone = models.CharField(max_length=32, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("order", "kind"), name="order_address_unique_kind")]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city} {self.postal_code} {self.country}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.ProductVariant", null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    # Kept as sold: a later rename or deletion of the product does not rewrite history.
    sku = models.CharField(max_length=64)
    product_name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price_amount = models.DecimalField(max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="Gross after discount")
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    net_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=3, default=0, help_text="Percent")
    quantity_shipped = models.PositiveIntegerField(default=0)
    quantity_returned = models.PositiveIntegerField(default=0)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_name}"


class OrderCharge(models.Model):
    """Postage, fees and manual adjustments on an order: money, not products."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="charges")
    code = models.CharField(max_length=32)
    description = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class OrderEvent(models.Model):
    """The order's log: every step and decision of the workflow and of staff, in order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=48)
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("pk",)
        indexes = [models.Index(fields=("order", "kind"), name="order_event_kind")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class Shipment(models.Model):
    class Status(models.TextChoices):
        PICKING = "picking", "Picking (label to be made)"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    ref = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PICKING)
    carrier = models.CharField(max_length=64, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    tracking_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.ref


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} x {self.line_id}"


class OrderRefund(models.Model):
    """Money to give back; the workflow sends it to the gateway with its own key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    key = models.CharField(max_length=96, help_text="Idempotency key: one refund per key and order")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    lines = models.JSONField(default=list, blank=True, help_text="[{line_id, amount}]")
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("pk",)
        constraints = [models.UniqueConstraint(fields=("order", "key"), name="order_refund_unique_key")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.amount} ({self.status})"


class ReturnRequest(models.Model):
    """An RMA: the customer sends units back; staff approve, receive, then refund or replace."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        RECEIVED = "received", "Received"
        REFUNDED = "refunded", "Refunded"
        REPLACED = "replaced", "Replaced"
        REJECTED = "rejected", "Rejected"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    number = models.CharField(max_length=32, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    reason = models.CharField(max_length=500)
    restock = models.BooleanField(default=True)
    refund_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal(0))
    replacement_order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces_returns"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    rma = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="return_lines")
    quantity = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.quantity} x {self.line_id}"
