from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "shopstack.notifications"
    label = "notifications"

    def ready(self) -> None:
        from shopstack.core.events import subscribe
        from shopstack.notifications.handlers import EVENT_NAMES, NotifyCustomer
        from shopstack.notifications.tasks import notification_send_schedule

        handler = NotifyCustomer(schedule=notification_send_schedule)
        for name in EVENT_NAMES:
            subscribe(name, handler)
