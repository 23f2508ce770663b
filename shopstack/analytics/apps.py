from django.apps import AppConfig

# Events reach the warehouse within this long; facts and snapshots are at most an hour old.
EVENTS_COMPACT_SECONDS = 300
TABLES_REBUILD_SECONDS = 3600


class AnalyticsConfig(AppConfig):
    name = "shopstack.analytics"
    label = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from shopstack.analytics import tasks
        from shopstack.analytics.services import event_store_answers
        from shopstack.core.periodic import periodic_register
        from shopstack.core.readiness import readiness_register

        # Without its event store the shop would answer pages but keep no events (the
        # buffer holds a few seconds' worth): /readyz says so, naming it.
        readiness_register(name="event_store", check=event_store_answers)

        periodic_register(
            name="analytics.events_compact",
            interval_seconds=EVENTS_COMPACT_SECONDS,
            task=tasks.warehouse_events_compact,
        )
        periodic_register(
            name="analytics.tables_rebuild",
            interval_seconds=TABLES_REBUILD_SECONDS,
            task=tasks.warehouse_tables_rebuild,
        )

        # Sign-up and login are the framework's flows, not domain events: signals are their hooks.
        from allauth.account.signals import user_logged_in, user_signed_up

        from shopstack.analytics import handlers
        from shopstack.analytics.order_events import ORDER_KINDS
        from shopstack.core.events import subscribe

        for name in ORDER_KINDS:
            subscribe(name, handlers.on_order_event)
        user_signed_up.connect(handlers.on_signed_up, dispatch_uid="analytics.signed_up")
        user_logged_in.connect(handlers.on_logged_in, dispatch_uid="analytics.logged_in")
