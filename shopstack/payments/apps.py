from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "shopstack.payments"
    label = "payments"

    def ready(self) -> None:
        from shopstack.core.events import subscribe
        from shopstack.core.periodic import periodic_register
        from shopstack.payments import checks, tasks  # noqa: F401  (checks registers itself)

        subscribe("PaymentOutcomeUnknown", tasks.on_payment_outcome_unknown)
        subscribe("PaymentLateAuthorization", tasks.on_payment_late_authorization)
        periodic_register(
            name="payments.late_check", interval_seconds=300, task=tasks.payments_late_check_sweep
        )
