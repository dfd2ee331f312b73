from django.urls import path

from . import views

app_name = "fundpool"
urlpatterns = [
    path("api/fund/summary.json", views.summary_json, name="summary_json"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
