"""/admin/analytics/: the staff dashboards (included before the admin site's own URLs)."""

from django.urls import path

from shopstack.analytics.dashboard import views

app_name = "dashboards"
urlpatterns = [
    path("", views.dashboard_index, name="index"),
    path("compact/", views.compact_now, name="compact"),
    path("<slug:page>/", views.dashboard_page, name="page"),
    path("<slug:page>/<slug:section>.csv", views.dashboard_export, name="export"),
    path("<slug:page>/part/<slug:section>/", views.dashboard_part, name="part"),
]
