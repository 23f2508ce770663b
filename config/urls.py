from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

urlpatterns = [
    # The analytics dashboards, before the admin site's catch-all (docs/analytics.md, "Dashboards").
    path("admin/analytics/", include("shopstack.analytics.dashboard.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("account/", include("shopstack.accounts.urls")),
    # /account/orders/... and /orders/lookup/: before the storefront's catch-all routes.
    path("", include("shopstack.orders.urls")),
    path("api/", include("shopstack.api.urls")),
    path("cart/", include("shopstack.checkout.urls")),
    path("checkout/", include("shopstack.checkout.steps_urls")),
    path("payments/", include("shopstack.payments.urls")),
    path("a/", include("shopstack.analytics.urls")),
    path("", include("shopstack.storefront.urls")),
]

if settings.TEST_GATEWAY_ENABLED:
    # The built-in test payment gateway: a separate service that happens to share the process.
    urlpatterns.insert(0, path("_testgateway/", include("shopstack.payments.testgateway.urls")))

if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    # The embedded tier serves media itself; scale-out tiers put object storage + CDN in front.
    urlpatterns.append(
        re_path(
            rf"^{settings.MEDIA_URL.lstrip('/')}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )

handler404 = "shopstack.storefront.views.errors.page_not_found"
handler500 = "shopstack.storefront.views.errors.server_error"
