from django.urls import path

from shopstack.storefront.views import pages

app_name = "storefront"
urlpatterns = [
    path("", pages.home, name="home"),
    path("hello", pages.hello, name="hello"),
]
