from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from shopstack.catalog import selectors
from shopstack.storefront.caching import cached_page, newest, version_text
from shopstack.storefront.seo import canonical_url


def hello(request: HttpRequest) -> HttpResponse:
    """The benchmark ceiling: the same server and middleware, no work."""
    return HttpResponse(b"Hello, world", content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    """Featured products, best sellers and category tiles; fresh until the catalog changes."""
    version = selectors.catalog_version()

    def render_home() -> HttpResponse:
        tree = selectors.category_tree()
        context = {
            "featured": list(selectors.featured_products()),
            "best_sellers": list(selectors.best_sellers()),
            "category_tiles": tree,
            "nav_categories": tree,
            "canonical": canonical_url(request.path),
        }
        return render(request, "storefront/home.html", context)

    return cached_page(
        request, page="home", version=version_text(version), last_modified=newest(version), render=render_home
    )
