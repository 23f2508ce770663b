from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "shopstack.search"
    label = "search"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_migrate

        from shopstack.catalog.models import Product
        from shopstack.core.events import subscribe
        from shopstack.core.periodic import periodic_register
        from shopstack.core.retention import retention_register
        from shopstack.search import checks  # noqa: F401  (registers the deploy checks)
        from shopstack.search.handlers import on_product_deleted, on_search_index_behind
        from shopstack.search.indexing import BACKLOG_EVENT
        from shopstack.search.popular import REFRESH_SECONDS
        from shopstack.search.reference import track_changes
        from shopstack.search.retention import search_log_prune
        from shopstack.search.starter import on_post_migrate
        from shopstack.search.tasks import popular_searches_rebuild

        subscribe(BACKLOG_EVENT, on_search_index_behind)
        retention_register(name="search_log", prune=search_log_prune)
        track_changes()
        post_migrate.connect(on_post_migrate, sender=self)
        post_delete.connect(on_product_deleted, sender=Product, dispatch_uid="search-product-deleted")
        periodic_register(
            name="search.popular_searches", interval_seconds=REFRESH_SECONDS, task=popular_searches_rebuild
        )
