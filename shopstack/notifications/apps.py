from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "shopstack.notifications"
    label = "notifications"

    def ready(self) -> None:
        from shopstack.core.events import subscribe
        from shopstack.core.periodic import periodic_register
        from shopstack.notifications.handlers import EVENT_NAMES, NotifyCustomer
        from shopstack.notifications.tasks import notification_retry_due, notification_send_schedule

        handler = NotifyCustomer(schedule=notification_send_schedule)
        for name in EVENT_NAMES:
            subscribe(name, handler)
        # Retries the task backend could not defer, and sends whose worker died mid-way.
        periodic_register(name="notifications.retry_due", interval_seconds=60, task=notification_retry_due)
