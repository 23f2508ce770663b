"""Back office for payments: read-only. Staff see each payment, every call made to the
gateway for it (kind, amount, status, idempotency key, when it was sent and the timeout
used) and the gateway's webhooks. Money moves only from the order screen, through the
orders services: nothing here captures, voids or refunds.

No card data is shown: card numbers never reach the shop, and the gateway's card token
(usable to charge the card again) and card details in gateway answers are left out.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from shopstack.payments.models import Payment, PaymentTransaction, PaymentWebhookEvent

ORDER_REF_PREFIX = "order:"
# Keys of gateway answers that describe the card or can charge it again.
CARD_KEYS = frozenset({"token", "payment_method", "card", "number", "last4", "fingerprint", "brand"})


def without_card_data(value: Any) -> Any:
    """A gateway answer with every card-describing key masked, at any depth."""
    if isinstance(value, dict):
        return {
            key: ("[hidden]" if key in CARD_KEYS else without_card_data(item)) for key, item in value.items()
        }
    if isinstance(value, list):
        return [without_card_data(item) for item in value]
    return value


def pretty_json(value: Any) -> SafeString:
    text = json.dumps(without_card_data(value), indent=2, sort_keys=True, default=str)
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


def flat(fields: tuple[str | tuple[str, ...], ...]) -> tuple[str, ...]:
    """Field names of a `fields` layout (rows given as tuples), for readonly_fields."""
    return tuple(name for row in fields for name in ((row,) if isinstance(row, str) else row))


def order_link(ref: str) -> SafeString:
    """The order screen, searched by the order number in a payment's reference (payments
    know orders only by that reference)."""
    if not ref.startswith(ORDER_REF_PREFIX):
        return format_html("{}", "-")
    number = ref.removeprefix(ORDER_REF_PREFIX)
    try:
        url = reverse("admin:orders_order_changelist")
    except NoReverseMatch:
        return format_html("{}", number)
    return format_html('<a href="{}?{}">{}</a>', url, urlencode({"q": number}), number)


class _ReadOnly(admin.ModelAdmin):
    """Viewable with the model's view permission; never added, changed or deleted here."""

    show_full_result_count = False
    list_per_page = 50
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PaymentTransactionInline(admin.TabularInline):
    model = PaymentTransaction
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "created_at",
        "kind",
        "amount",
        "status",
        "idempotency_key",
        "sent_at",
        "timeout_seconds",
        "error_message",
    )
    readonly_fields = fields
    ordering = ("id",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(_ReadOnly):
    list_display = (
        "created_at",
        "ref",
        "order",
        "amount",
        "currency",
        "status",
        "captured_amount",
        "refunded_amount",
        "gateway",
        "gateway_reference",
        "failure_code",
    )
    list_filter = ("status", "gateway", "currency", "failure_code")
    search_fields = ("ref",)  # the real search is get_search_results: exact and indexed
    search_help_text = "Order number, payment reference, gateway reference or idempotency key (exact)."
    date_hierarchy = "created_at"
    fields = (
        "uid",
        "ref",
        "order",
        "status",
        ("amount", "currency"),
        ("captured_amount", "refunded_amount"),
        ("gateway", "gateway_reference"),
        "action_url",
        ("failure_code", "failure_message"),
        ("created_at", "updated_at"),
    )
    readonly_fields = flat(fields)
    inlines = (PaymentTransactionInline,)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Payment], search_term: str
    ) -> tuple[QuerySet[Payment], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        refs = {term, f"{ORDER_REF_PREFIX}{term.removeprefix(ORDER_REF_PREFIX)}"}
        keys = PaymentTransaction.objects.filter(idempotency_key=term).values("payment_id")
        matches = Q(ref__in=refs) | Q(gateway_reference=term) | Q(pk__in=keys)
        return queryset.filter(matches), False

    @admin.display(description="Order")
    def order(self, payment: Payment) -> SafeString:
        return order_link(payment.ref)


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(_ReadOnly):
    list_display = (
        "created_at",
        "payment_ref",
        "kind",
        "amount",
        "status",
        "idempotency_key",
        "sent_at",
        "timeout_seconds",
    )
    list_filter = ("kind", "status")
    list_select_related = ("payment",)
    search_help_text = "Order number, gateway reference or idempotency key (exact)."
    search_fields = ("idempotency_key",)
    date_hierarchy = "created_at"
    fields = (
        "payment",
        "order",
        "kind",
        "amount",
        "status",
        "idempotency_key",
        ("sent_at", "timeout_seconds"),
        "error_message",
        "answer",
        ("created_at", "updated_at"),
    )
    readonly_fields = flat(fields)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[PaymentTransaction], search_term: str
    ) -> tuple[QuerySet[PaymentTransaction], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        refs = {term, f"{ORDER_REF_PREFIX}{term.removeprefix(ORDER_REF_PREFIX)}"}
        matches = Q(idempotency_key=term) | Q(payment__ref__in=refs) | Q(payment__gateway_reference=term)
        return queryset.filter(matches), False

    @admin.display(description="Payment", ordering="payment__ref")
    def payment_ref(self, txn: PaymentTransaction) -> str:
        return txn.payment.ref

    @admin.display(description="Order")
    def order(self, txn: PaymentTransaction) -> SafeString:
        return order_link(txn.payment.ref)

    @admin.display(description="Gateway's answer (card details hidden)")
    def answer(self, txn: PaymentTransaction) -> SafeString:
        return pretty_json(txn.gateway_response)


@admin.register(PaymentWebhookEvent)
class PaymentWebhookEventAdmin(_ReadOnly):
    list_display = ("received_at", "gateway", "event_id", "type")
    list_filter = ("gateway", "type")
    search_fields = ("=event_id",)
    date_hierarchy = "received_at"
    fields = ("gateway", "event_id", "type", "received_at", "event")
    readonly_fields = fields

    @admin.display(description="Payload (card details hidden)")
    def event(self, webhook: PaymentWebhookEvent) -> SafeString:
        return pretty_json(webhook.payload)
