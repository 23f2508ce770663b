from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shopstack.core"
    label = "core"

    def ready(self) -> None:
        from shopstack.core.periodic import periodic_register
        from shopstack.core.tasks import tasks_recover_abandoned

        # Every 30 s: with the 60 s lease, a dead worker's task runs again within 90 s.
        periodic_register(name="core.tasks_recover", interval_seconds=30, task=tasks_recover_abandoned)
