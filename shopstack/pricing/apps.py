from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "shopstack.pricing"
    label = "pricing"
