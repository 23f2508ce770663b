"""The staff order screen. Imported history is read-only (staff may correct its status);
shop orders are moved only through the services: capture, cancel, ship per line, mark
delivered, refund (amount or per line) and returns. Money moves in the worker, so the
screen records the decision and the log shows the outcome a moment later."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from shopstack.core.admin_utils import csv_export_action
from shopstack.core.errors import DomainError
from shopstack.orders import selectors, services
from shopstack.orders.admin_forms import RefundForm, ReturnForm, ShipForm
from shopstack.orders.models import (
    Order,
    OrderAddress,
    OrderCharge,
    OrderEvent,
    OrderLine,
    OrderRefund,
    ReturnRequest,
    Shipment,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = (
        "id",
        "sku",
        "product_name",
        "quantity",
        "unit_price_amount",
        "discount_amount",
        "net_amount",
        "tax_amount",
        "tax_rate",
        "total_amount",
        "quantity_shipped",
        "quantity_returned",
        "refunded_amount",
    )
    readonly_fields = fields


class OrderChargeInline(_ReadOnlyInline):
    model = OrderCharge
    fields = ("code", "description", "amount", "tax_amount")
    readonly_fields = fields


class OrderAddressInline(_ReadOnlyInline):
    model = OrderAddress
    fields = (
        "kind",
        "full_name",
        "company",
        "line1",
        "line2",
        "city",
        "region",
        "postal_code",
        "country",
        "phone",
    )
    readonly_fields = fields


class ShipmentInline(_ReadOnlyInline):
    model = Shipment
    fields = (
        "ref",
        "status",
        "carrier",
        "tracking_number",
        "tracking_url",
        "contents",
        "shipped_at",
        "delivered_at",
    )
    readonly_fields = fields

    @admin.display(description="Lines")
    def contents(self, shipment: Shipment) -> str:
        return ", ".join(f"{x.quantity} x line {x.line_id}" for x in shipment.lines.all())


class OrderRefundInline(_ReadOnlyInline):
    model = OrderRefund
    fields = ("created_at", "amount", "lines", "reason", "status", "error", "actor")
    readonly_fields = fields


class ReturnInline(_ReadOnlyInline):
    model = ReturnRequest
    fk_name = "order"
    fields = (
        "number",
        "status",
        "reason",
        "restock",
        "contents",
        "refund_amount",
        "replacement_order",
        "actions",
    )
    readonly_fields = fields

    @admin.display(description="Lines")
    def contents(self, rma: ReturnRequest) -> str:
        return ", ".join(f"{x.quantity} x line {x.line_id}" for x in rma.lines.all())

    @admin.display(description="Next")
    def actions(self, rma: ReturnRequest) -> SafeString:
        steps = {
            "requested": ("approve", "reject"),
            "approved": ("receive", "reject"),
            "received": ("refund", "replace"),
        }.get(rma.status, ())
        return format_html_join(
            " ",
            '<button type="submit" form="rma-{}-{}" class="button">{}</button>',
            ((rma.pk, step, step.title()) for step in steps),
        )


class OrderEventInline(_ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "kind", "message", "data", "actor")
    readonly_fields = fields
    verbose_name_plural = "Event log"


OPERATIONS: dict[str, Callable[..., Any]] = {
    "capture": lambda order, actor: services.order_capture(order=order, actor_id=actor),
    "cancel": lambda order, actor: services.order_cancel(
        order=order, reason="cancelled by staff", actor_id=actor
    ),
    "deliver": lambda order, actor: services.order_mark_delivered(order=order, actor_id=actor),
}
RETURN_OPERATIONS: dict[str, Callable[..., Any]] = {
    "approve": lambda rma, actor: services.return_approve(rma=rma, actor_id=actor),
    "reject": lambda rma, actor: services.return_reject(rma=rma, actor_id=actor),
    "receive": lambda rma, actor: services.return_receive(rma=rma, actor_id=actor),
    "refund": lambda rma, actor: services.return_refund(rma=rma, actor_id=actor),
    "replace": lambda rma, actor: services.return_replace(rma=rma, actor_id=actor),
}


def _message(error: DomainError) -> str:
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.fields.items())
    return f"{error.message} {details}".strip()


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "placed_at",
        "kind",
        "status",
        "payment_status",
        "fulfilment_status",
        "email",
        "country",
        "total_amount",
        "currency",
        "source",
    )
    list_filter = ("status", "payment_status", "fulfilment_status", "kind", "source", "country")
    search_fields = ("=number", "email", "=lines__sku", "=shipments__tracking_number")
    date_hierarchy = "placed_at"
    list_select_related = ("customer",)
    # A COUNT(*) over every order on each page view is the slowest query on this page.
    show_full_result_count = False
    list_per_page = 50
    raw_id_fields = ("customer",)
    readonly_fields = (
        "number",
        "kind",
        "customer",
        "email",
        "country",
        "currency",
        "subtotal_amount",
        "discount_amount",
        "charges_amount",
        "tax_amount",
        "total_amount",
        "refunded_amount",
        "voucher_code",
        "shipping_method_name",
        "placed_at",
        "source",
        "payment_status",
        "fulfilment_status",
        "cancel_reason",
        "next_step",
        "progress_at",
        "payments",
        "allocations",
    )
    inlines = (
        OrderLineInline,
        OrderChargeInline,
        OrderAddressInline,
        ShipmentInline,
        OrderRefundInline,
        ReturnInline,
        OrderEventInline,
    )
    actions = (
        "capture_selected",
        "cancel_selected",
        "deliver_selected",
        csv_export_action(
            [
                ("number", "number"),
                ("kind", "kind"),
                ("status", "status"),
                ("payment_status", "payment_status"),
                ("fulfilment_status", "fulfilment_status"),
                ("placed_at", "placed_at"),
                ("email", "email"),
                ("country", "country"),
                ("currency", "currency"),
                ("subtotal", "subtotal_amount"),
                ("charges", "charges_amount"),
                ("total", "total_amount"),
                ("source", "source"),
            ],
            name="orders",
        ),
    )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = {**(extra_context or {}), "return_steps": list(RETURN_OPERATIONS)}
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def get_fields(self, request: HttpRequest, obj: Order | None = None) -> list[str]:
        return ["status", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Order | None = None) -> tuple[str, ...]:
        # Only imported history may have its status corrected by hand; shop orders move
        # through the services (a status edit would skip the payment and the stock).
        if obj is not None and obj.source != "import":
            return ("status", *self.readonly_fields)
        return self.readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Order | None = None) -> bool:
        return False

    # --- detail panels -------------------------------------------------------------------

    @admin.display(description="Payments")
    def payments(self, order: Order) -> SafeString:
        rows = []
        for payment, transactions in selectors.order_payments(order=order):
            txns = ", ".join(f"{t.kind} {t.amount} {t.status}" for t in transactions)
            rows.append(
                (
                    payment.ref,
                    payment.status,
                    payment.amount,
                    payment.captured_amount,
                    payment.refunded_amount,
                    payment.gateway_reference,
                    txns,
                )
            )
        if not rows:
            return format_html("{}", "-")
        return format_html(
            "<table><tr><th>ref</th><th>status</th><th>amount</th><th>captured</th><th>refunded</th>"
            "<th>gateway ref</th><th>transactions</th></tr>{}</table>",
            format_html_join("", "<tr>" + "<td>{}</td>" * 7 + "</tr>", rows),
        )

    @admin.display(description="Stock allocations")
    def allocations(self, order: Order) -> SafeString:
        rows = [
            (a.line_ref, a.variant_id, a.warehouse.slug, a.quantity, a.returned_quantity, a.status)
            for a in selectors.order_allocations(order=order)
        ]
        if not rows:
            return format_html("{}", "-")
        return format_html(
            "<table><tr><th>line</th><th>variant</th><th>warehouse</th><th>qty</th><th>returned</th>"
            "<th>status</th></tr>{}</table>",
            format_html_join("", "<tr>" + "<td>{}</td>" * 6 + "</tr>", rows),
        )

    # --- bulk actions ----------------------------------------------------------------------

    def _bulk(self, request: HttpRequest, queryset: QuerySet[Order], operation: str) -> None:
        done = 0
        for order in queryset:
            try:
                OPERATIONS[operation](order, request.user.pk)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{order.number}: {_message(error)}", messages.ERROR)
        if done:
            self.message_user(
                request, f"{operation.title()}: {done} order(s) done or under way.", messages.SUCCESS
            )

    @admin.action(description="Capture payment of selected orders", permissions=["change"])
    def capture_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, "capture")

    @admin.action(description="Cancel selected orders", permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, "cancel")

    @admin.action(description="Mark selected orders delivered", permissions=["change"])
    def deliver_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._bulk(request, queryset, "deliver")

    # --- per-order operations ------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/operate/<str:operation>/", wrap(self.operate_view), name="orders_order_operate"),
            path("<int:pk>/ship/", wrap(self.ship_view), name="orders_order_ship"),
            path("<int:pk>/refund/", wrap(self.refund_view), name="orders_order_refund"),
            path("<int:pk>/return/", wrap(self.return_view), name="orders_order_return"),
            path(
                "<int:pk>/returns/<int:rma_id>/<str:operation>/",
                wrap(self.return_operate_view),
                name="orders_order_return_operate",
            ),
            *super().get_urls(),
        ]

    def _order(self, request: HttpRequest, pk: int) -> Order:
        order = get_object_or_404(Order, pk=pk)
        if not self.has_change_permission(request, order):
            raise admin.sites.PermissionDenied
        return order

    def _back(self, order: Order) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))

    def operate_view(self, request: HttpRequest, pk: int, operation: str) -> HttpResponse:
        order = self._order(request, pk)
        if request.method != "POST" or operation not in OPERATIONS:
            return HttpResponse(status=405)
        try:
            OPERATIONS[operation](order, request.user.pk)
            self.message_user(request, f"{operation.title()}: done or under way (see the event log).")
        except DomainError as error:
            self.message_user(request, _message(error), messages.ERROR)
        return self._back(order)

    def return_operate_view(self, request: HttpRequest, pk: int, rma_id: int, operation: str) -> HttpResponse:
        order = self._order(request, pk)
        rma = get_object_or_404(ReturnRequest, pk=rma_id, order=order)
        if request.method != "POST" or operation not in RETURN_OPERATIONS:
            return HttpResponse(status=405)
        try:
            RETURN_OPERATIONS[operation](rma, request.user.pk)
            self.message_user(request, f"Return {rma.number}: {operation} done or under way.")
        except DomainError as error:
            self.message_user(request, _message(error), messages.ERROR)
        return self._back(order)

    def _form_view(
        self,
        request: HttpRequest,
        pk: int,
        form_class: type,
        title: str,
        perform: Callable[[Order, Any], Any],
    ) -> HttpResponse:
        order = self._order(request, pk)
        form = form_class(request.POST or None, order=order)
        if request.method == "POST" and form.is_valid():
            try:
                perform(order, form)
            except DomainError as error:
                for field, msgs in error.fields.items():
                    form.add_error(field if field in form.fields else None, msgs)
                if not error.fields:
                    form.add_error(None, error.message)
            else:
                self.message_user(request, f"{title}: done or under way (see the event log).")
                return self._back(order)
        context = {
            **self.admin_site.each_context(request),
            "order": order,
            "form": form,
            "title": title,
            "opts": self.model._meta,
        }
        status = 422 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/orders/order/operation.html", context, status=status)

    def ship_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def perform(order: Order, form: ShipForm) -> None:
            services.order_ship(
                order=order,
                lines=form.chosen(),
                actor_id=request.user.pk,
                tracking_number=form.cleaned_data["tracking_number"],
            )

        return self._form_view(request, pk, ShipForm, "Ship lines", perform)

    def refund_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def perform(order: Order, form: RefundForm) -> None:
            data, lines = form.cleaned_data, form.chosen()
            amount: Decimal | None = data["amount"]
            if not lines and amount is None and not data["everything"]:
                raise DomainError("Say how much to refund.", fields={"amount": ["Give an amount or lines."]})
            services.order_refund(
                order=order,
                amount=amount,
                lines=lines or None,
                key=data["key"],
                reason=data["reason"],
                actor_id=request.user.pk,
            )

        return self._form_view(request, pk, RefundForm, "Refund", perform)

    def return_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        def perform(order: Order, form: ReturnForm) -> None:
            services.return_request(
                order=order,
                lines=form.chosen(),
                reason=form.cleaned_data["reason"],
                restock=form.cleaned_data["restock"],
                actor_id=request.user.pk,
            )

        return self._form_view(request, pk, ReturnForm, "New return", perform)
