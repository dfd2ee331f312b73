"""Staff's page of one application through every stage, its next steps, and the lifecycle page."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import selectors as core_selectors
from grants import lifecycle, transitions
from grants.applications import eligibility
from grants.applications import selectors as application_selectors
from grants.award import selectors as award_selectors
from grants.award.forms import AwardForm, SignForm
from grants.common import GrantsError, require_perm
from grants.conversation import selectors as conversation_selectors
from grants.conversation.rules import is_fund_staff
from grants.delivery import selectors as delivery_selectors
from grants.delivery.forms import EvaluationForm, RecoveryReceiveForm
from grants.fields import ReasonForm
from grants.lifecycle import diagram
from grants.models import AmendmentKind, Application, Call, CorrectionKind
from grants.overview import bulk, exports, queue, search
from grants.review import selectors as review_selectors
from grants.review import services as review_services


def application_detail(request, pk):
    require_perm(request, "grants.view_application")
    application = application_selectors.application_for_staff(pk=pk)
    steps = transitions.available_transitions(application=application, user=request.user)
    return render(
        request,
        "grants/admin/application_detail.html",
        {
            "application": application,
            "timeline": application_selectors.application_timeline(application=application, for_applicant=False),
            # "Was the group told?": every email about this application, from the outbox.
            "emails": list(core_selectors.messages_about(ref=application.reference)[:50]),
            "same_group": list(application_selectors.same_group_applications(application=application)),
            "steps": steps,
            "reason_form": ReasonForm(),
            "award_form": AwardForm(initial={"amount": application.requested_amount}),
            "state": lifecycle.STATE[application.status],
            "objections": award_selectors.objections_for_staff(application=application),
            "tranches": application.tranches.all(),
            "agreement": getattr(application, "agreement", None),
            "sign_form": SignForm(application=application, initial={"conditions": application.agreement_conditions}),
            "consent": application.agreement_consents.select_related("user").first()
            if application.status == lifecycle.Status.AWARDED
            else None,
            "suggestion": review_selectors.call_suggestion(call=application.call).get(application.pk)
            if application.status == lifecycle.Status.REVIEWED
            else None,
            "may_decide": request.user.has_perm("grants.decide_application"),
            "hold": review_selectors.review_hold(application=application),
            "assignments": application.review_assignments.select_related("reviewer", "reinstated_by", "review"),
            "may_reinstate": request.user.has_perm("grants.screen_application")
            and application.status in review_services.REINSTATE_STATES,
            "project": delivery_selectors.project_overview(application=application)
            if application.status in delivery_selectors.DELIVERY_STATES
            else None,
            "may_pay": request.user.has_perm("grants.pay_tranche"),
            # Four eyes: the payments, and the steps that pay, this person must leave to someone else.
            "pay_conflict": application.payment_conflict(request.user)
            if request.user.has_perm("grants.pay_tranche")
            else "",
            "accept_conflict": lifecycle.settlement_conflict(application, request.user)
            if application.status == lifecycle.Status.REPORTING
            else "",
            "for_someone_else": transitions.steps_for_someone_else(application=application, user=request.user),
            "may_evaluate": request.user.has_perm("grants.evaluate_report"),
            "may_manage": request.user.has_perm("grants.manage_delivery"),
            "may_receive": request.user.has_perm("fundpool.add_inflow"),
            "evaluation_form": EvaluationForm(),
            "recovery_form": RecoveryReceiveForm(),
            "today": timezone.localdate(),
            "may_converse": is_fund_staff(request.user),
            "dossiers": list(application.dossiers.all()[:5]),
            "eligibility": eligibility.checklist(application),
            "duplicates": eligibility.possible_duplicates(application),
            "may_screen": request.user.has_perm("grants.screen_application"),
            "amendments": list(application.amendments.all()),
            "corrections": list(application.corrections.select_related("by")),
            "correction_kinds": CorrectionKind.choices,
            "amendment_kinds": AmendmentKind.choices,
            "amendable": [lifecycle.Status.IN_DELIVERY, lifecycle.Status.REPORTING],
            "unread": conversation_selectors.unread_by_application(
                user=request.user, application_ids=[application.pk], side="fund"
            ).get(application.pk, 0),
            "open_items": conversation_selectors.open_items(application=application).count(),
            "candidates": review_selectors.reviewer_candidates(application=application)
            if application.status in (lifecycle.Status.SUBMITTED, lifecycle.Status.IN_REVIEW)
            and request.user.has_perm("grants.screen_application")
            else [],
        },
    )


@require_POST
def application_step(request, pk, name):
    require_perm(request, "grants.view_application")
    application = application_selectors.application_for_staff(pk=pk)
    form = AwardForm(request.POST) if name == "propose_award" else ReasonForm(request.POST)
    form.is_valid()
    params = {}
    if name == "propose_award":
        params = {"amount": request.POST.get("amount")}
    elif name == "terminate":
        params = {"recovery_amount": request.POST.get("recovery_amount", "").strip() or None}
    elif name == "sign_agreement":
        sign = SignForm(request.POST, application=application)
        if not sign.is_valid():
            # A date that is refused (or unreadable) is never replaced by today's.
            for field, errors in sign.errors.items():
                label = sign.fields[field].label if field in sign.fields else ""
                for error in errors:
                    messages.error(request, f"{label}：{error}" if label else error)
            return redirect("grants_admin:application", pk=application.pk)
        params = {
            "conditions": sign.cleaned_data["conditions"],
            "signed_on": sign.cleaned_data["signed_on"],
            "method": request.POST.get("method", ""),
            "scan": request.FILES.get("scan") if request.POST.get("method") == "scan" else None,
        }
        if params["method"] == "scan" and not params["scan"]:
            messages.error(request, _("Upload the signed scan, or choose the leader's confirmation in the site."))
            return redirect("grants_admin:application", pk=application.pk)
    try:
        transitions.application_transition(
            application=application, name=name, user=request.user, reason=request.POST.get("reason", ""), **params
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": lifecycle.STEPS[name].label})
    return redirect("grants_admin:application", pk=application.pk)


def lifecycle_page(request):
    require_perm(request, "grants.view_application")
    svg = diagram.to_svg()
    return render(
        request,
        "grants/admin/lifecycle.html",
        {
            "svg": mark_safe(svg) if svg else None,  # noqa: S308 - drawn by Graphviz from our own labels
            "dot": diagram.to_dot(),
            "states": lifecycle.STATES,
            "transitions": lifecycle.STEPS.values(),
        },
    )


def work_queue(request):
    """The staff member's work queue (待办), all lines with their items; `?line=` shows one line."""
    require_perm(request, "grants.view_application")
    only = request.GET.get("line", "")
    only = only if only in queue.BY_KEY else None
    return render(
        request,
        "grants/admin/queue.html",
        {"lines": queue.queue_for(user=request.user, with_items=True, only=only), "only": only},
    )


@require_POST
def call_bulk(request, pk):
    """Bulk actions on a call's applications: first a page to confirm, with a reason box for each
    application and one for all; then the run, which says which were done and which failed, why."""
    require_perm(request, "grants.screen_application")
    call = get_object_or_404(Call, pk=pk)
    action = request.POST.get("action", "")
    ids = [i for i in request.POST.getlist("applications") if i.isdecimal()]
    act = bulk.ACTIONS.get(action)
    if act is None or not ids:
        messages.error(request, _("Choose the applications and an action."))
        return redirect("grants_admin:call_applications", pk=call.pk)
    chosen = list(Application.objects.filter(call=call, pk__in=ids).select_related("group").order_by("pk"))
    reviewers = list(
        review_selectors.reviewer_pool().filter(pk__in=[i for i in request.POST.getlist("reviewers") if i.isdecimal()])
    )
    reasons = {a.pk: request.POST.get(f"reason_{a.pk}", "")[:2000] for a in chosen}
    reason_all = request.POST.get("reason_all", "")[:2000]
    problem = ""
    if request.POST.get("step") == "run":
        if act.needs_reason and not reason_all.strip():
            unreasoned = [a for a in chosen if bulk.actionable(action, a) and not reasons[a.pk].strip()]
            if unreasoned:
                problem = _("Give one reason for all, or a reason for each of: %(ids)s.") % {
                    "ids": "、".join(f"#{a.pk}" for a in unreasoned)
                }
        if act.key == "assign" and not reviewers:
            problem = _("Choose at least one reviewer.")
    if request.POST.get("step") != "run" or problem:
        if problem:
            messages.error(request, problem)
        return render(
            request,
            "grants/admin/call_bulk.html",
            {
                "call": call,
                "act": act,
                "rows": [(a, bulk.actionable(action, a), reasons[a.pk]) for a in chosen],
                "reason_all": reason_all,
                "pool": review_selectors.reviewer_pool() if act.key == "assign" else [],
                "chosen_reviewers": {r.pk for r in reviewers},
            },
            status=400 if problem else 200,
        )
    try:
        result = bulk.bulk_run(
            call=call,
            action=action,
            application_ids=ids,
            user=request.user,
            reason_for_all=reason_all,
            reasons=reasons,
            reviewers=reviewers,
        )
    except GrantsError as exc:
        for m in exc.messages:
            messages.error(request, m)
        return redirect("grants_admin:call_applications", pk=call.pk)
    return render(request, "grants/admin/call_bulk_result.html", {"call": call, "result": result})


def search_page(request):
    """Search applications, projects and groups across every call."""
    require_perm(request, "grants.view_application")
    query = search.search_query(request.GET)
    return render(
        request,
        "grants/admin/search.html",
        {
            "query": query,
            "results": search.search(query=query),
            "states": [s for s in lifecycle.STATES if s.value != lifecycle.Status.DRAFT],
            "limit": search.LIMIT,
        },
    )


@require_POST
def dossier_request(request, pk):
    """Staff ask for a project's dossier: a background job builds it; the page lists it when ready."""
    from core import jobs
    from grants.models import ProjectDossier

    require_perm(request, "grants.view_application")
    application = application_selectors.application_for_staff(pk=pk)
    dossier = ProjectDossier.objects.create(application=application, requested_by=request.user)
    jobs.enqueue("grants.jobs.build_dossier", dossier.pk, kind="documents")
    messages.success(request, _("The dossier is being made; it is listed here when ready (reload the page)."))
    return redirect(f"{redirect('grants_admin:application', pk=application.pk).url}#dossier")


@require_GET
def dossier_download(request, pk):
    from core.uploads import private_file_response
    from grants.models import DossierStatus, ProjectDossier

    require_perm(request, "grants.view_application")
    dossier = get_object_or_404(ProjectDossier, pk=pk, status=DossierStatus.DONE)
    response = private_file_response(dossier.file, content_type=None, label=f"dossier-{dossier.application_id}.zip")
    response["Content-Type"] = "application/zip"
    response["Content-Disposition"] = f'attachment; filename="dossier-{dossier.application_id}-{dossier.pk}.zip"'
    return response


@require_GET
def call_export(request, pk, kind, fmt):
    """A call's reviews, payments or expenses as CSV or XLSX."""
    require_perm(request, "grants.view_application")
    call = get_object_or_404(Call, pk=pk)
    if kind not in exports.KINDS or fmt not in ("csv", "xlsx"):
        raise Http404
    return exports.response(call, kind, fmt)
