from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "shopstack.search"
    label = "search"
