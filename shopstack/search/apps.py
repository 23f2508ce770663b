from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "shopstack.search"
    label = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate

        from shopstack.catalog.models import Product
        from shopstack.core.events import subscribe
        from shopstack.core.retention import retention_register
        from shopstack.search.handlers import on_product_deleted, on_search_index_behind
        from shopstack.search.indexing import BACKLOG_EVENT
        from shopstack.search.log import connect_to_requests
        from shopstack.search.reference import track_changes
        from shopstack.search.retention import search_log_prune
        from shopstack.search.starter import on_post_migrate

        subscribe(BACKLOG_EVENT, on_search_index_behind)
        retention_register(name="search_log", prune=search_log_prune)
        track_changes()
        connect_to_requests()
        post_migrate.connect(on_post_migrate, sender=self)
        post_delete.connect(on_product_deleted, sender=Product, dispatch_uid="search-product-deleted")
