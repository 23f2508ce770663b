from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "shopstack.notifications"
    label = "notifications"
