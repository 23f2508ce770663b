from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "shopstack.storefront"
    label = "storefront"

    def ready(self) -> None:
        from shopstack.storefront import checks  # noqa: F401 (registers the deploy checks)
