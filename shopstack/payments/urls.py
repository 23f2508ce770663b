from django.urls import path

from shopstack.payments import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<str:gateway>/", views.webhook, name="webhook"),
]
