"""Staff pages in the Wagtail admin: applications per call (filters, CSV), one application with
its lifecycle steps, filing resident groups, and the lifecycle diagram."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from core import ratelimit
from fundpool.models import Theme

from . import delivery_selectors, diagram, lifecycle, selectors, services
from .forms import AwardForm, EvaluationForm, FilingForm, ReasonForm, RecoveryReceiveForm, SignForm
from .models import Call, Community, ResidentGroup
from .services import GrantsError


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def call_index(request):
    _require(request, "grants.view_application")
    return render(request, "grants/admin/call_index.html", {"calls": selectors.call_list_for_staff()})


def _filters(request) -> selectors.StaffFilters:
    def g(name: str) -> str:
        # NUL bytes go: PostgreSQL refuses to compare text with them.
        return request.GET.get(name, "").replace("\x00", "")

    return selectors.StaffFilters(
        status=g("status"), theme=g("theme"), community=g("community"), track=g("track"), q=g("q")[:100]
    )


def call_applications(request, pk):
    _require(request, "grants.view_application")
    call = get_object_or_404(Call, pk=pk)
    filters = _filters(request)
    if request.GET.get("format") == "csv":
        return _csv(call, filters)
    return render(
        request,
        "grants/admin/call_applications.html",
        {
            "call": call,
            "filters": filters,
            "applications": selectors.application_list_for_call(call=call, filters=filters),
            "states": _states_with_counts(call),
            "themes": Theme.objects.order_by("code"),
            "communities": Community.objects.order_by("name"),
            "query": request.GET.urlencode(),
        },
    )


def _states_with_counts(call: Call) -> list[dict]:
    counts = selectors.application_status_counts(call=call)
    return [
        {"value": s.value, "label": s.staff_label, "count": counts.get(s.value, 0)}
        for s in lifecycle.STATES
        if s.value != lifecycle.Status.DRAFT
    ]


def _csv(call: Call, filters) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="call-{call.slug}-applications.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the Chinese as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("ID"),
            _("Title"),
            pgettext("applicant", "Group"),
            _("Community"),
            _("Type"),
            _("Status"),
            _("Theme"),
            _("Requested"),
            _("Own contribution"),
            _("Matched"),
            _("Beneficiaries"),
            pgettext("date", "Submitted"),
            _("Attachments"),
        ]
    )
    for a in selectors.applications_for_export(call=call, filters=filters):
        writer.writerow(
            [
                a.pk,
                _safe_cell(a.title),
                _safe_cell(a.group.name),
                a.group.community.name,
                a.group.get_group_type_display(),
                lifecycle.STATE[a.status].staff_label,
                a.problem.theme.name if a.problem_id else "",
                a.requested_amount,
                a.own_contribution,
                a.matched_contribution,
                a.beneficiary_count or "",
                timezone.localtime(a.submitted_at).strftime("%Y-%m-%d %H:%M") if a.submitted_at else "",
                a.attachment_count,
            ]
        )
    return response


def _safe_cell(value: str) -> str:
    """Spreadsheet programs run cells that start like a formula; make them plain text."""
    value = str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def call_results(request, pk):
    _require(request, "grants.view_application")
    call = get_object_or_404(Call.objects.prefetch_related("criteria"), pk=pk)
    rows = selectors.call_results(call=call)
    return render(
        request,
        "grants/admin/call_results.html",
        {
            "call": call,
            "rows": rows,
            "awarded": selectors.call_awarded_total(call=call),
            "may_decide": request.user.has_perm("grants.decide_application"),
        },
    )


def call_results_pdf(request, pk):
    """The review summary of a call as a PDF (scores, normalised scores, ranking, recusals, decisions)."""
    from core.pdf import pdf_response, render_pdf

    _require(request, "grants.view_application")
    call = get_object_or_404(Call.objects.prefetch_related("criteria"), pk=pk)
    return pdf_response(
        lambda: render_pdf(
            "reports/review_summary.html",
            {
                "call": call,
                "rows": selectors.call_results(call=call),
                "awarded": selectors.call_awarded_total(call=call),
            },
            title=f"{call.title} · {_('Review summary')}",
        ),
        filename=f"review-summary-{call.slug}.pdf",
    )


@require_POST
def call_autoassign(request, pk):
    _require(request, "grants.screen_application")
    call = get_object_or_404(Call, pk=pk)
    try:
        made = services.review_autoassign(call=call, actor=request.user)
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s reviewer(s) assigned.") % {"n": made})
    return redirect("grants_admin:call_applications", pk=call.pk)


@require_POST
def objection_resolve(request, pk):
    from .models import Objection

    _require(request, "grants.decide_application")
    objection = get_object_or_404(Objection, pk=pk)
    try:
        services.objection_resolve(
            objection=objection,
            actor=request.user,
            uphold=request.POST.get("decision") == "uphold",
            reason=request.POST.get("reason", ""),
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Objection resolved."))
    return redirect("grants_admin:application", pk=objection.application_id)


@require_POST
def objection_verify(request, pk):
    """Staff called the objector's number and enter the code they were told."""
    from .models import Objection

    _require(request, "grants.decide_application")
    objection = get_object_or_404(Objection, pk=pk)
    if ratelimit.limited(request, "objection_verify"):
        messages.error(request, _("Too many codes entered in the last hour. Please try again later."))
    else:
        try:
            services.objection_verify(objection=objection, actor=request.user, code=request.POST.get("code", ""))
        except GrantsError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("The objector's phone number is confirmed: the objection now holds up the award.")
            )
    return redirect("grants_admin:application", pk=objection.application_id)


@require_POST
def objections_dismiss(request, pk):
    """Dismiss the chosen objections to one award as not genuine, with one reason kept with each."""
    _require(request, "grants.decide_application")
    application = selectors.application_for_staff(pk=pk)
    try:
        n = services.objection_dismiss_not_genuine(
            application=application,
            objection_ids=request.POST.getlist("objections"),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s objection(s) dismissed as not genuine.") % {"n": n})
    return redirect("grants_admin:application", pk=application.pk)


def application_detail(request, pk):
    _require(request, "grants.view_application")
    application = selectors.application_for_staff(pk=pk)
    steps = services.available_transitions(application=application, user=request.user)
    return render(
        request,
        "grants/admin/application_detail.html",
        {
            "application": application,
            "timeline": selectors.application_timeline(application=application, for_applicant=False),
            "same_group": list(selectors.same_group_applications(application=application)),
            "steps": steps,
            "reason_form": ReasonForm(),
            "award_form": AwardForm(initial={"amount": application.requested_amount}),
            "state": lifecycle.STATE[application.status],
            "objections": selectors.objections_for_staff(application=application),
            "tranches": application.tranches.all(),
            "agreement": getattr(application, "agreement", None),
            "sign_form": SignForm(application=application),
            "suggestion": selectors.call_suggestion(call=application.call).get(application.pk)
            if application.status == lifecycle.Status.REVIEWED
            else None,
            "may_decide": request.user.has_perm("grants.decide_application"),
            "hold": selectors.review_hold(application=application),
            "assignments": application.review_assignments.select_related("reviewer", "reinstated_by"),
            "may_reinstate": request.user.has_perm("grants.screen_application")
            and application.status in services.REINSTATE_STATES,
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
            "for_someone_else": services.steps_for_someone_else(application=application, user=request.user),
            "may_evaluate": request.user.has_perm("grants.evaluate_report"),
            "may_manage": request.user.has_perm("grants.manage_delivery"),
            "may_receive": request.user.has_perm("fundpool.add_inflow"),
            "evaluation_form": EvaluationForm(),
            "recovery_form": RecoveryReceiveForm(),
            "today": timezone.localdate(),
            "candidates": selectors.reviewer_candidates(application=application)
            if application.status in (lifecycle.Status.SUBMITTED, lifecycle.Status.IN_REVIEW)
            and request.user.has_perm("grants.screen_application")
            else [],
        },
    )


@require_POST
def application_reviewers(request, pk):
    _require(request, "grants.screen_application")
    application = selectors.application_for_staff(pk=pk)
    ids = [i for i in request.POST.getlist("reviewers") if i.isdecimal()]  # "²" is a digit int() refuses
    reviewers = list(selectors.reviewer_candidates(application=application).filter(pk__in=ids))
    try:
        made = services.review_assign(application=application, reviewers=reviewers, actor=request.user)
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(n)s reviewer(s) assigned.") % {"n": len(made)})
    return redirect("grants_admin:application", pk=application.pk)


@require_POST
def review_reinstate(request, pk):
    """Put a recused reviewer back on the application, with the reason (the service logs it)."""
    from .models import ReviewAssignment

    _require(request, "grants.screen_application")
    assignment = get_object_or_404(ReviewAssignment.objects.select_related("reviewer"), pk=pk)
    try:
        services.review_reinstate(assignment=assignment, actor=request.user, reason=request.POST.get("reason", ""))
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("%(user)s is reinstated as a reviewer of this application.")
            % {"user": assignment.reviewer.get_full_name() or assignment.reviewer.get_username()},
        )
    return redirect("grants_admin:application", pk=assignment.application_id)


@require_POST
def application_step(request, pk, name):
    _require(request, "grants.view_application")
    application = selectors.application_for_staff(pk=pk)
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
        params = {"conditions": sign.cleaned_data["conditions"], "signed_on": sign.cleaned_data["signed_on"]}
    try:
        services.application_transition(
            application=application, name=name, user=request.user, reason=request.POST.get("reason", ""), **params
        )
    except GrantsError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": lifecycle.TRANSITIONS[name].label})
    return redirect("grants_admin:application", pk=application.pk)


def group_filing(request, pk):
    _require(request, "grants.file_residentgroup")
    group = get_object_or_404(ResidentGroup.objects.select_related("community"), pk=pk)
    file_form = FilingForm(
        request.POST if request.POST.get("action") == "file" else None, initial={"filed_on": timezone.localdate()}
    )
    return_form = ReasonForm(
        request.POST if request.POST.get("action") == "return" else None, label=_("Reason (the group will see it)")
    )
    if request.method == "POST":
        try:
            if request.POST.get("action") == "file" and file_form.is_valid():
                services.group_file(group=group, actor=request.user, **file_form.cleaned_data)
                messages.success(request, _("%(group)s is filed.") % {"group": group.name})
                return redirect("grants_admin:group_filing", pk=group.pk)
            if request.POST.get("action") == "return" and return_form.is_valid():
                services.group_return(group=group, reason=return_form.cleaned_data["reason"], actor=request.user)
                messages.success(request, _("Returned to the group."))
                return redirect("grants_admin:group_filing", pk=group.pk)
        except GrantsError as exc:
            for message in exc.messages:
                messages.error(request, message)
    return render(
        request,
        "grants/admin/group_filing.html",
        {
            "group": group,
            "file_form": file_form,
            "return_form": return_form,
            "members": selectors.group_members(group=group),
        },
    )


def lifecycle_page(request):
    _require(request, "grants.view_application")
    svg = diagram.to_svg()
    return render(
        request,
        "grants/admin/lifecycle.html",
        {
            "svg": mark_safe(svg) if svg else None,  # noqa: S308 - drawn by Graphviz from our own labels
            "dot": diagram.to_dot(),
            "states": lifecycle.STATES,
            "transitions": lifecycle.TRANSITIONS.values(),
        },
    )
