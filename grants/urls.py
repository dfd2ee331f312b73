from django.urls import path

from . import delivery_views, views

app_name = "grants"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/charter/", views.group_charter, name="group_charter"),
    path("groups/join/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("calls/", views.call_list, name="call_list"),
    path("calls/<slug:slug>/apply/", views.call_apply, name="call_apply"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/autosave/", views.application_autosave, name="application_autosave"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/attachments/", views.attachment_add, name="attachment_add"),
    path("applications/<int:pk>/agreement/", views.agreement_detail, name="agreement"),
    path("applications/<int:pk>/agreement.pdf", views.agreement_pdf, name="agreement_pdf"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("review/", views.review_list, name="review_list"),
    path("review/profile/", views.reviewer_profile, name="reviewer_profile"),
    path("review/<int:pk>/", views.review_detail, name="review_detail"),
    path("review/<int:pk>/attachments/<int:attachment_pk>/", views.review_attachment, name="review_attachment"),
    path("notice/", views.notice, name="notice"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
    path("projects/<int:pk>/", delivery_views.project_detail, name="project"),
    path("projects/<int:pk>/activities/new/", delivery_views.activity_add, name="activity_add"),
    path("projects/<int:pk>/expenses/new/", delivery_views.expense_add, name="expense_add"),
    path("projects/<int:pk>/reports/<slug:kind>/", delivery_views.report_submit, name="report_submit"),
    path("projects/<int:pk>/final-report.pdf", delivery_views.final_report_pdf, name="final_report_pdf"),
    path("photos/<int:pk>/", delivery_views.photo, name="photo"),
    path("receipts/<int:pk>/", delivery_views.receipt, name="receipt"),
    path("review/reports/<int:pk>/", delivery_views.trustee_report, name="trustee_report"),
    path("feedback/<int:pk>/", delivery_views.feedback, name="feedback"),
    path("feedback/<int:pk>/qr.svg", delivery_views.feedback_qr, name="feedback_qr"),
]
