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
        from shopstack.core.periodic import periodic_register

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
