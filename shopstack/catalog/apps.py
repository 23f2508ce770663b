from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shopstack.catalog"
    label = "catalog"
