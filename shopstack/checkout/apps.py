from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "shopstack.checkout"
    label = "checkout"

    def ready(self) -> None:
        # Login is the framework's flow, not a domain event: a signal is the hook it offers.
        from django.contrib.auth.signals import user_logged_in

        from shopstack.checkout.handlers import merge_guest_cart_on_login

        user_logged_in.connect(merge_guest_cart_on_login, dispatch_uid="checkout.merge_guest_cart")
