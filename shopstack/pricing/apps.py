from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "shopstack.pricing"
    label = "pricing"

    def ready(self) -> None:
        from shopstack.pricing.reference import track_changes

        track_changes()
