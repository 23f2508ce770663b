from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "shopstack.inventory"
    label = "inventory"
