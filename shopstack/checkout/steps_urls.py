"""The checkout's pages under /checkout/ (the cart's are in urls.py, under /cart/)."""

from django.urls import path

from shopstack.checkout import pages

app_name = "checkout_steps"
urlpatterns = [
    path("", pages.checkout_begin, name="begin"),
    path("payment/return/", pages.checkout_payment_return, name="payment-return"),
    path("orders/<str:number>/", pages.order_status, name="order"),
    path("orders/<str:number>/retry/", pages.order_retry, name="order-retry"),
    path("<uuid:token>/", pages.checkout_address, name="address"),
    path("<uuid:token>/shipping/", pages.checkout_shipping, name="shipping"),
    path("<uuid:token>/payment/", pages.checkout_payment, name="payment"),
    path("<uuid:token>/review/", pages.checkout_review, name="review"),
    path("<uuid:token>/voucher/", pages.checkout_voucher, name="voucher"),
    path("<uuid:token>/place/", pages.checkout_place, name="place"),
    path("<uuid:token>/payment/done/", pages.checkout_payment_done, name="payment-done"),
]
