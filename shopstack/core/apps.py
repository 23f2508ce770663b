from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shopstack.core"
    label = "core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from shopstack.core import (
            checks,  # noqa: F401  (registers the system checks)
            outbox_checks,  # noqa: F401 (registers the checks)
        )
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
        post_migrate.connect(_create_cache_table, weak=False, dispatch_uid="core.cache_table")


def _create_cache_table(*, using: str = "default", **kwargs: object) -> None:
    """The database cache's table, made by `migrate` itself (it is no model, so no migration
    makes it); a no-op when it exists or when the cache is elsewhere (Redis)."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)
