from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shopstack.core"
    label = "core"
