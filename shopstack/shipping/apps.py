from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shopstack.shipping"
    label = "shipping"
