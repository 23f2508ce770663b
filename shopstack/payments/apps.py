from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "shopstack.payments"
    label = "payments"

    def ready(self) -> None:
        from shopstack.core.events import subscribe
        from shopstack.payments.tasks import on_payment_outcome_unknown

        subscribe("PaymentOutcomeUnknown", on_payment_outcome_unknown)
