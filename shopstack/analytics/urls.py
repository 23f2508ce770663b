from django.urls import path

from shopstack.analytics import views

app_name = "analytics"
urlpatterns = [
    path("e", views.beacon, name="beacon"),
    path("consent", views.consent, name="consent"),
]
