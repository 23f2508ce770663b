from django.urls import path

from shopstack.search import views as search
from shopstack.storefront.views import catalog, pages, seo

app_name = "storefront"
urlpatterns = [
    path("", pages.home, name="home"),
    path("hello", pages.hello, name="hello"),
    path("c/<slug:slug>/", catalog.category, name="category"),
    path("p/<slug:slug>/", catalog.product, name="product"),
    path("search/", search.search, name="search"),
    path("search/suggest/", search.suggest, name="search-suggest"),
    path("search/click/", search.click, name="search-click"),
    path("robots.txt", seo.robots_txt, name="robots"),
    path("sitemap.xml", seo.sitemap, name="sitemap"),
]
