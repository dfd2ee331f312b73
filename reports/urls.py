from django.urls import path

from . import views

urlpatterns = [
    path("annual-reports/", views.public_list, name="annual_reports"),
    path("annual-reports/<int:year>.pdf", views.public_download, name="annual_report_pdf"),
]
