from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "shopstack.payments"
    label = "payments"
