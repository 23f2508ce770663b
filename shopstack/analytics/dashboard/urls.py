"""/admin/analytics/: the staff dashboards, included before the admin site's own URLs. Only
the dashboards' own names are matched: anything else under /admin/analytics/ (the admin's
page for the permission's model) is left to the admin site."""

from django.urls import path, re_path

from shopstack.analytics.dashboard import views
from shopstack.analytics.reports.dashboards import DASHBOARDS

app_name = "dashboards"
PAGE = "(?P<page>" + "|".join(DASHBOARDS) + ")"
SECTION = r"(?P<section>[-a-z0-9]+)"
urlpatterns = [
    path("", views.dashboard_index, name="index"),
    path("compact/", views.compact_now, name="compact"),
    re_path(rf"^{PAGE}/$", views.dashboard_page, name="page"),
    re_path(rf"^{PAGE}/{SECTION}\.csv$", views.dashboard_export, name="export"),
    re_path(rf"^{PAGE}/part/{SECTION}/$", views.dashboard_part, name="part"),
]
