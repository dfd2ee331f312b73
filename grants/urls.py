from django.urls import path

from grants.applications import views as application_views
from grants.award import views as award_views
from grants.conversation import views as conversation_views
from grants.delivery import amendment_views
from grants.delivery import views as delivery_views
from grants.groups import views as group_views
from grants.overview import views as overview_views
from grants.review import views as review_views

app_name = "grants"
urlpatterns = [
    path("dashboard/", overview_views.dashboard, name="dashboard"),
    path("dashboard/notifications/", overview_views.notification_settings, name="notifications"),
    path("groups/new/", group_views.group_create, name="group_create"),
    path("groups/<int:pk>/", group_views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", group_views.group_edit, name="group_edit"),
    path("groups/<int:pk>/charter/", group_views.group_charter, name="group_charter"),
    path("groups/join/<str:token>/", group_views.invitation_accept, name="invitation_accept"),
    path("groups/invitations/<int:pk>/cancel/", group_views.invitation_cancel, name="invitation_cancel"),
    path("calls/", application_views.call_list, name="call_list"),
    path("calls/<slug:slug>/apply/", application_views.call_apply, name="call_apply"),
    path("applications/<int:pk>/", application_views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", application_views.application_edit, name="application_edit"),
    path("applications/<int:pk>/autosave/", application_views.application_autosave, name="application_autosave"),
    path("applications/<int:pk>/withdraw/", application_views.application_withdraw, name="application_withdraw"),
    path("applications/<int:pk>/attachments/", application_views.attachment_add, name="attachment_add"),
    path("applications/<int:pk>/agreement/", award_views.agreement_detail, name="agreement"),
    path("applications/<int:pk>/agreement.pdf", award_views.agreement_pdf, name="agreement_pdf"),
    path("attachments/<int:pk>/", application_views.attachment_download, name="attachment_download"),
    path("review/", overview_views.review_list, name="review_list"),
    path("review/profile/", review_views.reviewer_profile, name="reviewer_profile"),
    path("review/<int:pk>/", review_views.review_detail, name="review_detail"),
    path("review/<int:pk>/attachments/<int:attachment_pk>/", review_views.review_attachment, name="review_attachment"),
    path("notice/", award_views.notice, name="notice"),
    path("notice/confirm/<str:token>/", award_views.objection_confirm, name="objection_confirm"),
    path("attachments/<int:pk>/delete/", application_views.attachment_delete, name="attachment_delete"),
    path("projects/<int:pk>/", delivery_views.project_detail, name="project"),
    path("projects/<int:pk>/amendments/new/", amendment_views.amendment_new, name="amendment_new"),
    path("projects/<int:pk>/activities/new/", delivery_views.activity_add, name="activity_add"),
    path("projects/<int:pk>/expenses/new/", delivery_views.expense_add, name="expense_add"),
    path("projects/<int:pk>/reports/<slug:kind>/", delivery_views.report_submit, name="report_submit"),
    path("projects/<int:pk>/final-report.pdf", delivery_views.final_report_pdf, name="final_report_pdf"),
    path("photos/<int:pk>/", delivery_views.photo, name="photo"),
    path("receipts/<int:pk>/", delivery_views.receipt, name="receipt"),
    path("review/reports/<int:pk>/", delivery_views.trustee_report, name="trustee_report"),
    path("applications/<int:pk>/messages/", conversation_views.thread, name="thread"),
    path("messages/files/<int:pk>/", conversation_views.message_file, name="message_file"),
    path("requests/items/<int:pk>/done/", conversation_views.item_done, name="item_done"),
    path("review/<int:pk>/questions/", conversation_views.review_question, name="review_question"),
    path("notice/objections/<str:token>/", conversation_views.objection_page, name="objection_page"),
    path("feedback/<int:pk>/", delivery_views.feedback, name="feedback"),
    path("feedback/<int:pk>/qr.svg", delivery_views.feedback_qr, name="feedback_qr"),
]
