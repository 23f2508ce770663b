from django.urls import path

from shopstack.checkout import views

app_name = "checkout"
urlpatterns = [
    path("", views.cart_page, name="cart"),
    path("mini/", views.mini_cart, name="mini"),
    path("add/", views.cart_add, name="add"),
    path("update/", views.cart_update, name="update"),
    path("remove/", views.cart_remove, name="remove"),
]
