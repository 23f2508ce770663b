from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "shopstack.orders"
    label = "orders"

    def ready(self) -> None:
        from shopstack.core.events import subscribe
        from shopstack.core.periodic import periodic_register
        from shopstack.core.tasks import outbox_dispatch
        from shopstack.inventory.tasks import reservations_expire
        from shopstack.orders import tasks as handlers  # handlers enqueue tasks: they live there

        for name in ("OrderPlaced", "OrderWorkflowKick"):
            subscribe(name, handlers.on_order_step_due)
        for name in ("PaymentAuthorized", "PaymentFailed", "PaymentActionRequired"):
            subscribe(name, handlers.on_payment_settled)
        for name in ("PaymentLateAuthorization", "PaymentLateAuthorizationVoided"):
            subscribe(name, handlers.on_payment_late_authorization)
        periodic_register(name="orders.resume", interval_seconds=30, task=handlers.order_workflow_resume)
        periodic_register(
            name="orders.expire_unfinished_payments",
            interval_seconds=300,
            task=handlers.orders_expire_unfinished,
        )
        periodic_register(
            name="payments.reconcile", interval_seconds=60, task=handlers.payments_reconcile_sweep
        )
        periodic_register(name="inventory.reservations_expire", interval_seconds=60, task=reservations_expire)
        periodic_register(name="core.outbox_dispatch", interval_seconds=15, task=outbox_dispatch)
