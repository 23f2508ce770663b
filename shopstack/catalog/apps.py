from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shopstack.catalog"
    label = "catalog"

    def ready(self) -> None:
        from shopstack.catalog import tasks as handlers  # the handler enqueues a task: it lives there
        from shopstack.catalog.importing.uploads import REQUESTED_EVENT
        from shopstack.core.events import subscribe

        subscribe(REQUESTED_EVENT, handlers.on_catalog_import_requested)
