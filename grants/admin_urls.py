from django.urls import path

from grants.applications import admin_views as application_admin_views
from grants.award import admin_views as award_admin_views
from grants.conversation import admin_views as conversation_admin_views
from grants.delivery import admin_views as delivery_admin_views
from grants.delivery import amendment_views
from grants.groups import admin_views as group_admin_views
from grants.overview import admin_views as overview_admin_views
from grants.review import admin_views as review_admin_views

urlpatterns = [
    path("calls/", application_admin_views.call_index, name="calls"),
    path("calls/<int:pk>/applications/", application_admin_views.call_applications, name="call_applications"),
    path("calls/<int:pk>/bulk/", overview_admin_views.call_bulk, name="call_bulk"),
    path("calls/<int:pk>/export/<slug:kind>.<slug:fmt>", overview_admin_views.call_export, name="call_export"),
    path("calls/<int:pk>/conflicts/", review_admin_views.call_conflicts, name="call_conflicts"),
    path("calls/<int:pk>/results/", review_admin_views.call_results, name="call_results"),
    path("calls/<int:pk>/results.pdf", review_admin_views.call_results_pdf, name="call_results_pdf"),
    path("calls/<int:pk>/autoassign/", review_admin_views.call_autoassign, name="call_autoassign"),
    path("objections/<int:pk>/resolve/", award_admin_views.objection_resolve, name="objection_resolve"),
    path("objections/<int:pk>/reply/", award_admin_views.objection_reply, name="objection_reply"),
    path("objections/<int:pk>/verify/", award_admin_views.objection_verify, name="objection_verify"),
    path("applications/<int:pk>/objections/dismiss/", award_admin_views.objections_dismiss, name="objections_dismiss"),
    path("applications/<int:pk>/", overview_admin_views.application_detail, name="application"),
    path("applications/<int:pk>/step/<slug:name>/", overview_admin_views.application_step, name="application_step"),
    path("applications/<int:pk>/reviewers/", review_admin_views.application_reviewers, name="application_reviewers"),
    path("assignments/<int:pk>/due/", review_admin_views.review_due, name="review_due"),
    path("assignments/<int:pk>/reinstate/", review_admin_views.review_reinstate, name="review_reinstate"),
    path("applications/<int:pk>/eligibility/", application_admin_views.eligibility_tick, name="eligibility_tick"),
    path("applications/<int:pk>/dossier/", overview_admin_views.dossier_request, name="dossier_request"),
    path("dossiers/<int:pk>/", overview_admin_views.dossier_download, name="dossier_download"),
    path("applications/<int:pk>/thread/", conversation_admin_views.thread, name="thread"),
    path("applications/<int:pk>/requests/new/", conversation_admin_views.info_request_new, name="info_request_new"),
    path("questions/<int:pk>/relay/", conversation_admin_views.question_relay, name="question_relay"),
    path("request-items/<int:pk>/accept/", conversation_admin_views.item_accept, name="item_accept"),
    path("request-items/<int:pk>/again/", conversation_admin_views.item_again, name="item_again"),
    path("groups/<int:pk>/filing/", group_admin_views.group_filing, name="group_filing"),
    path("queue/", overview_admin_views.work_queue, name="queue"),
    path("search/", overview_admin_views.search_page, name="search"),
    path("lifecycle/", overview_admin_views.lifecycle_page, name="lifecycle"),
    path("delivery/", delivery_admin_views.warnings, name="warnings"),
    path("applications/<int:pk>/amendments/new/", amendment_views.amendment_start, name="amendment_start"),
    path("applications/<int:pk>/conditions/", amendment_views.agreement_conditions, name="agreement_conditions"),
    path("applications/<int:pk>/corrections/new/", amendment_views.correction_new, name="correction_new"),
    path("amendments/<int:pk>/decide/", amendment_views.amendment_decide, name="amendment_decide"),
    path("amendments/<int:pk>/confirm/", amendment_views.amendment_confirm, name="amendment_confirm"),
    path("tranches/<int:pk>/pay/", delivery_admin_views.tranche_pay, name="tranche_pay"),
    path("expenses/<int:pk>/decide/", delivery_admin_views.expense_decide, name="expense_decide"),
    path("reports/<int:pk>/evaluate/", delivery_admin_views.report_evaluate, name="report_evaluate"),
    path("recoveries/<int:pk>/receive/", delivery_admin_views.recovery_receive, name="recovery_receive"),
    path("feedback/<int:pk>/moderate/", delivery_admin_views.feedback_moderate, name="feedback_moderate"),
]
