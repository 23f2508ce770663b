from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "shopstack.checkout"
    label = "checkout"
