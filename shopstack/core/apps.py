from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shopstack.core"
    label = "core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from shopstack.core import outbox_checks  # noqa: F401 (registers the checks)
        from shopstack.core.periodic import periodic_register
        from shopstack.core.reference import reference_caches_clear
        from shopstack.core.tasks import retention_prune_sweep, tasks_prune_finished, tasks_recover_abandoned

        # Every 30 s: with the 60 s lease, a dead worker's task runs again within 90 s.
        periodic_register(name="core.tasks_recover", interval_seconds=30, task=tasks_recover_abandoned)
        periodic_register(name="core.tasks_prune", interval_seconds=3600, task=tasks_prune_finished)
        periodic_register(name="core.retention_prune", interval_seconds=3600, task=retention_prune_sweep)
        # `flush` empties tables without signals, then sends post_migrate.
        post_migrate.connect(
            lambda **kwargs: reference_caches_clear(), weak=False, dispatch_uid="core.reference_clear"
        )
