"""Customer order pages, mounted at the site root by config/urls.py."""

from django.urls import path

from shopstack.orders import views

app_name = "orders"
urlpatterns = [
    path("account/orders/", views.order_list, name="list"),
    path("account/orders/<str:number>/", views.order_detail, name="detail"),
    path("account/orders/<str:number>/return/", views.return_create, name="return_create"),
    path("orders/lookup/", views.order_lookup, name="lookup"),
    path("orders/<str:number>/", views.guest_order_detail, name="guest_detail"),
    path("orders/<str:number>/return/", views.guest_return_create, name="guest_return_create"),
]
