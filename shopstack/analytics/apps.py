from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "shopstack.analytics"
    label = "analytics"
    verbose_name = "Analytics"
