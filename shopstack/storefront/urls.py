from django.urls import path

from shopstack.storefront.views import catalog, pages, seo

app_name = "storefront"
urlpatterns = [
    path("", pages.home, name="home"),
    path("hello", pages.hello, name="hello"),
    path("c/<slug:slug>/", catalog.category, name="category"),
    path("p/<slug:slug>/", catalog.product, name="product"),
    path("robots.txt", seo.robots_txt, name="robots"),
    path("sitemap.xml", seo.sitemap, name="sitemap"),
]
