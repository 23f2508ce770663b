from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "shopstack.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        # Sign-up and login are the framework's flows, not domain events: signals are their hooks.
        from allauth.account.signals import user_logged_in, user_signed_up

        from shopstack.analytics import handlers
        from shopstack.analytics.order_events import ORDER_KINDS
        from shopstack.core.events import subscribe

        for name in ORDER_KINDS:
            subscribe(name, handlers.on_order_event)
        user_signed_up.connect(handlers.on_signed_up, dispatch_uid="analytics.signed_up")
        user_logged_in.connect(handlers.on_logged_in, dispatch_uid="analytics.logged_in")
