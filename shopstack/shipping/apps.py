from django.apps import AppConfig


class ShippingConfig(AppConfig):
    name = "shopstack.shipping"
    label = "shipping"

    def ready(self) -> None:
        from shopstack.shipping.selectors import track_changes

        track_changes()
