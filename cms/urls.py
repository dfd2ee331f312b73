from django.urls import path

from . import donate

urlpatterns = [
    path("donate/", donate.donate, name="donate"),
    path("donate/thanks/<str:token>/", donate.donate_thanks, name="donate_thanks"),
    path("donate/cancel/<str:token>/", donate.donate_cancel, name="donate_cancel"),
    path("donations/<str:token>/", donate.acknowledgement, name="donation_acknowledgement"),
    path("campaigns/<slug:slug>/", donate.campaign, name="campaign"),
]
