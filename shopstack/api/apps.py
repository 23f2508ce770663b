from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shopstack.api"
    label = "api"
