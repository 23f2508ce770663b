from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "shopstack.storefront"
    label = "storefront"
