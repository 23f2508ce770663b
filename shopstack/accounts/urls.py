from django.urls import path

from shopstack.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.profile, name="profile"),
    path("addresses/", views.address_list, name="address_list"),
    path("addresses/new/", views.address_create, name="address_create"),
    path("addresses/<int:address_id>/", views.address_edit, name="address_edit"),
    path("addresses/<int:address_id>/delete/", views.address_delete, name="address_delete"),
    path("staff/two-factor/", views.staff_enrolment, name="staff_enrolment"),
    path("staff/two-factor/<str:token>/", views.staff_enrolment_open, name="staff_enrolment_open"),
    path(
        "addresses/<int:address_id>/default/<slug:kind>/",
        views.address_set_default,
        name="address_set_default",
    ),
]
