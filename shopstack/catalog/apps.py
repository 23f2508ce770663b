from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shopstack.catalog"
    label = "catalog"

    def ready(self) -> None:
        from shopstack.catalog import checks  # noqa: F401  (registers the deploy checks)
        from shopstack.catalog import tasks as handlers  # the handler enqueues a task: it lives there
        from shopstack.catalog.importing.uploads import REQUESTED_EVENT
        from shopstack.core.events import subscribe
        from shopstack.core.periodic import periodic_register

        subscribe(REQUESTED_EVENT, handlers.on_catalog_import_requested)
        periodic_register(
            name="catalog.uploads_sweep", interval_seconds=3600, task=handlers.catalog_uploads_sweep
        )
