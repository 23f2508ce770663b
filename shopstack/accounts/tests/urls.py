"""The URLs these tests need, as config.urls mounts them, without the public API: account
tests then do not depend on (or break with) work in progress there. The storefront stays,
since the shop's base template links to its pages.
`SHOPSTACK_TEST_FULL_URLS=1` runs them against config.urls instead."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("account/", include("shopstack.accounts.urls")),
    path("", include("shopstack.storefront.urls")),
]
