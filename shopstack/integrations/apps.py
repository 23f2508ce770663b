from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "shopstack.integrations"
    label = "integrations"
