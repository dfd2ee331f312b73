"""Applying from a phone: open calls, the application form with its autosave, attachments, the application page, withdrawing."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.uploads import private_file_response
from grants import lifecycle, transitions
from grants.applications import selectors as application_selectors
from grants.applications import services as application_services
from grants.applications.forms import ApplicationForm, AttachmentForm, BudgetLineFormSet, MilestoneFormSet
from grants.applications.services import LineInput, MilestoneInput
from grants.common import GrantsError
from grants.conversation import selectors as conversation_selectors
from grants.fields import ReasonForm
from grants.groups import selectors as group_selectors
from grants.lifecycle import DELIVERY_STATES
from grants.models import Call


@require_GET
def call_list(request):
    return render(request, "grants/call_list.html", {"calls": application_selectors.call_list_open()})


@login_required
def call_apply(request, slug):
    call = get_object_or_404(Call, slug=slug, published=True)
    groups = group_selectors.group_list_for_user(user=request.user)
    if request.method == "POST":
        group_id = request.POST.get("group", "")
        group = groups.filter(pk=group_id).first() if group_id.isdecimal() else None
        if group is None:
            messages.error(request, _("Choose one of your groups."))
        else:
            try:
                application = application_services.application_start(call=call, group=group, user=request.user)
            except application_services.AlreadyApplied as exc:
                messages.info(request, str(exc))
                return _open(exc.application)
            except GrantsError as exc:
                messages.error(request, str(exc))
            else:
                return _open(application)
    return render(request, "grants/call_apply.html", {"call": call, "groups": groups})


def _open(application):
    """The application's page where the group works on it: the form while it is editable."""
    if application.is_editable:
        return redirect("grants:application_edit", pk=application.pk)
    return redirect("grants:application_detail", pk=application.pk)


def _lines_from(formset):
    return [
        LineInput(
            f.cleaned_data["category"],
            f.cleaned_data["item"],
            f.cleaned_data["unit_cost"],
            f.cleaned_data["quantity"],
            f.cleaned_data["amount"],
        )
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _milestones_from(formset):
    return [
        MilestoneInput(f.cleaned_data["title"], f.cleaned_data["due_on"])
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _initial(application):
    form_initial = {
        "title": application.title,
        "problem": application.problem_id,
        "summary": application.summary,
        "activities": application.activities,
        "beneficiaries": application.beneficiaries,
        "beneficiary_count": application.beneficiary_count,
        "team": application.team,
        "own_contribution": application.own_contribution,
        "matched_contribution": application.matched_contribution,
        "requested_amount": application.requested_amount,
    }
    lines = [
        {"category": b.category, "item": b.item, "unit_cost": b.unit_cost, "quantity": b.quantity, "amount": b.amount}
        for b in application.budget_lines.all()
    ]
    milestones = [{"title": m.title, "due_on": m.due_on} for m in application.milestones.all()]
    return form_initial, lines, milestones


def _budget_as_typed(rows):
    """The budget formset bound to the rows kept as typed, so each comes back with its mark."""
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"lines-{i}-{key}": row.get(key, "") for key in application_services.BUDGET_ROW_KEYS})
    return BudgetLineFormSet(data, prefix="lines")


def _budget_rows(budget):
    """What the budget formset holds: the valid lines, and the rows as typed with the bad ones
    marked (None when every row is valid). Untouched extra rows and removed rows are not rows."""
    lines, rows, errors = [], [], {}
    for form in budget.forms:
        if not form.has_changed() or form["DELETE"].value():
            continue
        bad = bool(form.errors)
        rows.append({**{key: form[key].value() for key in application_services.BUDGET_ROW_KEYS}, "bad": bad})
        if bad:
            errors.update({form.add_prefix(name): messages[0] for name, messages in form.errors.items()})
        else:
            c = form.cleaned_data
            lines.append(LineInput(c["category"], c["item"], c["unit_cost"], c["quantity"], c["amount"]))
    return lines, (rows if errors else None), errors


def _save_what_is_valid(request, application, form, budget, plan):
    """Save every field and budget line that is valid; keep bad budget rows as typed. Returns what
    was not saved: {input name: message}. Raises GrantsError when the service refuses."""
    form.is_valid()
    errors = {name: messages[0] for name, messages in form.errors.items()}
    fields = {name: value for name, value in form.cleaned_data.items() if name not in form.errors}
    lines = budget_draft = None
    # Without its management form (a tampered post) the budget is left as it was.
    if budget.management_form.is_valid():
        budget.is_valid()
        lines, budget_draft, line_errors = _budget_rows(budget)
        errors.update(line_errors)
        if budget.non_form_errors():
            errors["lines"] = budget.non_form_errors()[0]
            lines = budget_draft = None
    milestones = None
    if plan.is_valid():
        milestones = _milestones_from(plan)
    elif plan.management_form.is_valid():
        for f in plan.forms:
            errors.update({f.add_prefix(name): messages[0] for name, messages in f.errors.items()})
    application_services.application_save_draft(
        application=application,
        user=request.user,
        fields=fields,
        lines=lines,
        milestones=milestones,
        budget_draft=budget_draft,
    )
    return errors


@login_required
def application_edit(request, pk):
    application = application_selectors.application_for_member(user=request.user, pk=pk)
    if not application.is_editable:
        return redirect("grants:application_detail", pk=application.pk)
    form_initial, lines, milestones = _initial(application)
    if request.method == "POST":
        form = ApplicationForm(request.POST, call=application.call)
        budget = BudgetLineFormSet(request.POST, prefix="lines")
        plan = MilestoneFormSet(request.POST, prefix="milestones")
    else:
        form = ApplicationForm(initial=form_initial, call=application.call)
        if application.budget_draft:
            budget = _budget_as_typed(application.budget_draft)
        else:
            budget = BudgetLineFormSet(initial=lines, prefix="lines")
        plan = MilestoneFormSet(initial=milestones, prefix="milestones")
    submission_problems = []
    # The page's own buttons save the whole form or nothing (bad input changes nothing; the page
    # shows it again, marked); keeping what is valid as the group types is autosave's work.
    if request.method == "POST":
        if form.is_valid() and budget.is_valid() and plan.is_valid():
            try:
                application = application_services.application_save_draft(
                    application=application,
                    user=request.user,
                    fields=form.cleaned_data,
                    lines=_lines_from(budget),
                    milestones=_milestones_from(plan),
                )
                if "submit" in request.POST:
                    application_services.application_submit(application=application, user=request.user)
                    messages.success(request, _("Submitted. You will get an email at every step."))
                    return redirect("grants:application_detail", pk=application.pk)
            except GrantsError as exc:
                submission_problems = exc.messages
            else:
                messages.success(request, _("Draft saved."))
                return redirect("grants:application_edit", pk=application.pk)
        else:
            submission_problems = [_("Some fields need attention; see the messages beside them.")]
    return render(
        request,
        "grants/application_form.html",
        {
            "application": application,
            "form": form,
            "budget": budget,
            "plan": plan,
            "attachment_form": AttachmentForm(),
            "submission_problems": submission_problems,
            "attachments": application.attachments.all(),
            "returned": _latest_return(application),
            "budget_total": sum((line.amount for line in application.budget_lines.all()), start=Decimal("0.00")),
        },
    )


def _latest_return(application):
    """The step that returned the application for changes, with staff's reason, while it is returned."""
    if application.status != lifecycle.Status.RETURNED:
        return None
    timeline = application_selectors.application_timeline(application=application, for_applicant=True)
    return next((e for e in reversed(timeline) if e.status == lifecycle.Status.RETURNED), None)


@login_required
@require_POST
def application_autosave(request, pk):
    """What the page's script posts every few seconds (the page's own form); answers JSON. Every
    valid field and budget line is saved; a budget row with a mistake is kept as typed. `saved` is
    true only when everything typed was saved; `errors` names each input that was not, by its
    name on the page, with the reason."""
    application = application_selectors.application_for_member(user=request.user, pk=pk)
    if not application.is_editable:
        message = _("This application can no longer be changed.")
        return JsonResponse({"saved": False, "error": message, "message": message, "errors": {}}, status=409)
    form = ApplicationForm(request.POST, call=application.call)
    budget = BudgetLineFormSet(request.POST, prefix="lines")
    plan = MilestoneFormSet(request.POST, prefix="milestones")
    try:
        errors = _save_what_is_valid(request, application, form, budget, plan)
    except GrantsError as exc:
        return JsonResponse({"saved": False, "error": str(exc), "message": str(exc), "errors": {}}, status=400)
    at = timezone.localtime().strftime("%H:%M:%S")
    if errors:
        message = ngettext(
            "Not saved: %(n)s entry needs correcting (marked on the page). Everything else was saved at %(at)s.",
            "Not saved: %(n)s entries need correcting (marked on the page). Everything else was saved at %(at)s.",
            len(errors),
        ) % {"n": len(errors), "at": at}
    else:
        message = _("Draft saved automatically at %(at)s.") % {"at": at}
    return JsonResponse(
        {"saved": not errors, "at": at, "message": message, "errors": errors, "pending": sorted(errors)}
    )


@login_required
def application_detail(request, pk):
    application = application_selectors.application_for_member(user=request.user, pk=pk)
    return render(
        request,
        "grants/application_detail.html",
        {
            "application": application,
            "timeline": application_selectors.application_timeline(application=application, for_applicant=True),
            "next_steps": application_selectors.application_next_steps(application=application),
            "can_withdraw": application.status in lifecycle.BEFORE_DELIVERY,
            "is_project": application.status in DELIVERY_STATES,
            "withdraw_form": ReasonForm(label=lifecycle.STEPS["withdraw"].applicant_reason_label),
            "unread": conversation_selectors.unread_by_application(
                user=request.user, application_ids=[application.pk], side="group"
            ).get(application.pk, 0),
            "open_items": list(conversation_selectors.open_items(application=application)),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def application_withdraw(request, pk):
    application = application_selectors.application_for_member(user=request.user, pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        transitions.application_transition(
            application=application, name="withdraw", user=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except GrantsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The application is withdrawn."))
    return redirect("grants:application_detail", pk=application.pk)


@login_required
@require_POST
def attachment_add(request, pk):
    application = application_selectors.application_for_member(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            application_services.application_attach(
                application=application,
                user=request.user,
                file=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
                identifying=form.cleaned_data["identifying"],
            )
        except GrantsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Attachment added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("grants:application_edit", pk=application.pk)


@login_required
@require_POST
def attachment_delete(request, pk):
    attachment = application_selectors.attachment_for(user=request.user, pk=pk)
    try:
        application_services.application_detach(attachment=attachment, user=request.user)
    except GrantsError as exc:
        messages.error(request, str(exc))
    return redirect("grants:application_edit", pk=attachment.application_id)


@login_required
@require_GET
def attachment_download(request, pk):
    attachment = application_selectors.attachment_for(user=request.user, pk=pk)
    return private_file_response(attachment.file, content_type=attachment.content_type, label=attachment.title)
