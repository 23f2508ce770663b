from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "shopstack.api"
    label = "api"

    def ready(self) -> None:
        from shopstack.api import checks  # noqa: F401 - registers the deploy checks
