from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "shopstack.search"
    label = "search"

    def ready(self) -> None:
        from shopstack.core.events import subscribe
        from shopstack.search.handlers import on_search_index_behind
        from shopstack.search.indexing import BACKLOG_EVENT
        from shopstack.search.log import connect_to_requests
        from shopstack.search.reference import track_changes

        subscribe(BACKLOG_EVENT, on_search_index_behind)
        track_changes()
        connect_to_requests()
