from django.urls import path

from . import donate, open_data_views, public_views

urlpatterns = [
    path("donate/", donate.donate, name="donate"),
    path("language/<str:code>/", donate.language, name="language"),
    path("donate/thanks/<str:token>/", donate.donate_thanks, name="donate_thanks"),
    path("donate/cancel/<str:token>/", donate.donate_cancel, name="donate_cancel"),
    path("donations/<str:token>/", donate.acknowledgement, name="donation_acknowledgement"),
    path("donations/<str:token>/acknowledgement.pdf", donate.acknowledgement_pdf, name="donation_acknowledgement_pdf"),
    path("campaigns/<slug:slug>/", donate.campaign, name="campaign"),
    path("transparency/", public_views.transparency, name="transparency"),
    path("funded/", public_views.directory, name="directory"),
    path("impact/", public_views.impact, name="impact"),
    path("outcome-photos/<int:pk>/", public_views.outcome_photo, name="outcome_photo"),
    path("open-data/360giving.json", open_data_views.giving_json, name="open_data_json"),
    path("open-data/360giving.csv", open_data_views.giving_csv, name="open_data_csv"),
]
