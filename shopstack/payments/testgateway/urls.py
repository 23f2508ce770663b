from django.urls import path

from shopstack.payments.testgateway import views

app_name = "testgateway"

urlpatterns = [
    path("charges", views.charges, name="charges"),
    path("charges/<str:reference>", views.charge_detail, name="charge"),
    path("charges/<str:reference>/capture", views.charge_capture, name="capture"),
    path("charges/<str:reference>/void", views.charge_void, name="void"),
    path("charges/<str:reference>/refunds", views.charge_refund, name="refunds"),
    path("pay/<str:session>", views.hosted_form, name="pay"),
    path("challenge/<str:reference>", views.challenge, name="challenge"),
]
