from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "shopstack.checkout"
    label = "checkout"

    def ready(self) -> None:
        # Login is the framework's flow, not a domain event: a signal is the hook it offers.
        from django.contrib.auth.signals import user_logged_in

        from shopstack.checkout.handlers import merge_guest_cart_on_login
        from shopstack.checkout.tasks import checkouts_abandon
        from shopstack.core.periodic import periodic_register

        user_logged_in.connect(merge_guest_cart_on_login, dispatch_uid="checkout.merge_guest_cart")
        periodic_register(name="checkout.abandon_stale", interval_seconds=600, task=checkouts_abandon)
