from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "shopstack.orders"
    label = "orders"
