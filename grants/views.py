"""Pages for resident groups (applicants). Each view reads input, calls one service, shows the
result. Objects are fetched through selectors that return 404 to anyone who may not see them."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import ratelimit
from core.uploads import private_file_response

from . import selectors, services
from .delivery_selectors import DELIVERY_STATES, reports_for_trustee
from .forms import (
    ApplicationForm,
    AttachmentForm,
    BudgetLineFormSet,
    DeclarationForm,
    GroupForm,
    InviteForm,
    MilestoneFormSet,
    ObjectionForm,
    ReasonForm,
    ReviewerProfileForm,
    ReviewForm,
)
from .models import Application, Call, FilingStatus, MemberRole, Objection, ObjectionStatus
from .services import GrantsError, LineInput, MilestoneInput


@login_required
@require_GET
def dashboard(request):
    applications = list(selectors.application_list_for_user(user=request.user))
    for application in applications:
        application.next_steps = selectors.application_next_steps(application=application)
        application.is_project = application.status in DELIVERY_STATES
    return render(
        request,
        "grants/dashboard.html",
        {
            "groups": selectors.group_list_for_user(user=request.user),
            "applications": applications,
            "open_calls": selectors.call_list_open(),
        },
    )


# --- groups -----------------------------------------------------------------------------------


@login_required
def group_create(request):
    form = GroupForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_register(
                user=request.user, charter=form.cleaned_data.pop("charter") or None, **form.cleaned_data
            )
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Group registered. Staff will file it with the sub-district."))
            return redirect("grants:group_detail", pk=group.pk)
    return render(request, "grants/group_form.html", {"form": form, "creating": True})


@login_required
def group_edit(request, pk):
    group = selectors.group_for_member(user=request.user, pk=pk)
    if group.filing_status in (FilingStatus.FILED, FilingStatus.NOT_REQUIRED):
        messages.info(request, _("A filed group's details are changed through fund staff."))
        return redirect("grants:group_detail", pk=group.pk)
    form = GroupForm(request.POST or None, request.FILES or None, instance=group)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.group_update(group=group, user=request.user, **data)
        except GrantsError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Saved."))
            return redirect("grants:group_detail", pk=group.pk)
    return render(request, "grants/group_form.html", {"form": form, "group": group})


@login_required
def group_detail(request, pk):
    group = selectors.group_for_member(user=request.user, pk=pk)
    invite_form = InviteForm(request.POST or None)
    if request.method == "POST" and invite_form.is_valid():
        try:
            services.group_invite(group=group, email=invite_form.cleaned_data["email"], actor=request.user)
        except GrantsError as exc:
            invite_form.add_error("email", str(exc))
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("grants:group_detail", pk=group.pk)
    members = list(selectors.group_members(group=group))
    return render(
        request,
        "grants/group_detail.html",
        {
            "group": group,
            "members": members,
            "is_leader": any(m.user_id == request.user.pk and m.role == MemberRole.LEADER for m in members),
            "invitations": selectors.group_pending_invitations(group=group),
            "invite_form": invite_form,
            "applications": group.applications.select_related("call").order_by("-updated_at"),
        },
    )


@login_required
@require_POST
def invitation_cancel(request, pk):
    invitation = selectors.invitation_for_member(user=request.user, pk=pk)
    try:
        services.invitation_cancel(invitation=invitation, actor=request.user)
    except GrantsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The invitation to %(email)s is cancelled.") % {"email": invitation.email})
    return redirect("grants:group_detail", pk=invitation.group_id)


@login_required
def invitation_accept(request, token):
    invitation = selectors.invitation_for_token(token=token)
    if invitation is None:
        return render(request, "grants/invitation_accept.html", {"invalid": True}, status=404)
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except GrantsError as exc:
            messages.error(request, str(exc))
            return redirect("grants:dashboard")
        messages.success(request, _("You are now a member of %(group)s.") % {"group": membership.group.name})
        return redirect("grants:group_detail", pk=membership.group_id)
    if invitation.email.lower() != (request.user.email or "").lower():
        # Whoever holds the link but is not the person invited learns nothing about the group.
        return render(request, "grants/invitation_accept.html", {"not_for_you": True}, status=403)
    return render(request, "grants/invitation_accept.html", {"invitation": invitation, "token": token})


# --- calls and applying -----------------------------------------------------------------------


@require_GET
def call_list(request):
    return render(request, "grants/call_list.html", {"calls": selectors.call_list_open()})


@login_required
def call_apply(request, slug):
    call = get_object_or_404(Call, slug=slug, published=True)
    groups = selectors.group_list_for_user(user=request.user)
    if request.method == "POST":
        group_id = request.POST.get("group", "")
        group = groups.filter(pk=group_id).first() if group_id.isdecimal() else None
        if group is None:
            messages.error(request, _("Choose one of your groups."))
        else:
            try:
                application = services.application_start(call=call, group=group, user=request.user)
            except services.AlreadyApplied as exc:
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
        data.update({f"lines-{i}-{key}": row.get(key, "") for key in services.BUDGET_ROW_KEYS})
    return BudgetLineFormSet(data, prefix="lines")


def _budget_rows(budget):
    """What the budget formset holds: the valid lines, and the rows as typed with the bad ones
    marked (None when every row is valid). Untouched extra rows and removed rows are not rows."""
    lines, rows, errors = [], [], {}
    for form in budget.forms:
        if not form.has_changed() or form["DELETE"].value():
            continue
        bad = bool(form.errors)
        rows.append({**{key: form[key].value() for key in services.BUDGET_ROW_KEYS}, "bad": bad})
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
    services.application_save_draft(
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
    application = selectors.application_for_member(user=request.user, pk=pk)
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
                application = services.application_save_draft(
                    application=application,
                    user=request.user,
                    fields=form.cleaned_data,
                    lines=_lines_from(budget),
                    milestones=_milestones_from(plan),
                )
                if "submit" in request.POST:
                    services.application_submit(application=application, user=request.user)
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
    if application.status != services.lifecycle.Status.RETURNED:
        return None
    timeline = selectors.application_timeline(application=application, for_applicant=True)
    return next((e for e in reversed(timeline) if e.status == services.lifecycle.Status.RETURNED), None)


@login_required
@require_POST
def application_autosave(request, pk):
    """What the page's script posts every few seconds (the page's own form); answers JSON. Every
    valid field and budget line is saved; a budget row with a mistake is kept as typed. `saved` is
    true only when everything typed was saved; `errors` names each input that was not, by its
    name on the page, with the reason."""
    application = selectors.application_for_member(user=request.user, pk=pk)
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
    application = selectors.application_for_member(user=request.user, pk=pk)
    return render(
        request,
        "grants/application_detail.html",
        {
            "application": application,
            "timeline": selectors.application_timeline(application=application, for_applicant=True),
            "next_steps": selectors.application_next_steps(application=application),
            "can_withdraw": application.status in services.lifecycle.BEFORE_DELIVERY,
            "is_project": application.status in DELIVERY_STATES,
            "withdraw_form": ReasonForm(label=services.lifecycle.TRANSITIONS["withdraw"].applicant_reason_label),
        },
    )


@login_required
@require_POST
def application_withdraw(request, pk):
    application = selectors.application_for_member(user=request.user, pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.application_transition(
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
    application = selectors.application_for_member(user=request.user, pk=pk)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.application_attach(
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
    attachment = selectors.attachment_for(user=request.user, pk=pk)
    try:
        services.application_detach(attachment=attachment, user=request.user)
    except GrantsError as exc:
        messages.error(request, str(exc))
    return redirect("grants:application_edit", pk=attachment.application_id)


@login_required
@require_GET
def group_charter(request, pk):
    """The group's charter, for its members and for staff; 404 for anyone else."""
    group = selectors.group_for_member_or_staff(user=request.user, pk=pk)
    return private_file_response(group.charter, label=_("%(group)s charter") % {"group": group.name})


@login_required
@require_GET
def attachment_download(request, pk):
    attachment = selectors.attachment_for(user=request.user, pk=pk)
    return private_file_response(attachment.file, content_type=attachment.content_type, label=attachment.title)


# --- reviewers --------------------------------------------------------------------------------


@login_required
def review_list(request):
    return render(
        request,
        "grants/review_list.html",
        {
            "assignments": selectors.assignments_for_reviewer(user=request.user),
            "reports": reports_for_trustee(user=request.user),
        },
    )


@login_required
def reviewer_profile(request):
    # The form names every resident group, filed or not: for trustees declaring conflicts only.
    if not request.user.has_perm("grants.review_application"):
        raise Http404
    profile = getattr(request.user, "reviewer_profile", None)
    initial = (
        {"related_groups": profile.related_groups.all(), "related_parties": profile.related_parties} if profile else {}
    )
    form = ReviewerProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.reviewer_profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Saved. Applications from these groups will never be assigned to you."))
        return redirect("grants:review_list")
    return render(request, "grants/reviewer_profile.html", {"form": form})


@login_required
def review_detail(request, pk):
    """Declare first; then the application (without identifying details under blind review) and
    the score sheet. Only the reviewer's own scores are ever shown here."""
    assignment = selectors.assignment_for_reviewer(user=request.user, pk=pk)
    application = assignment.application
    if assignment.recused:
        # They see that they recused, and why; never the application.
        if request.method == "POST":
            messages.error(request, _("You declared a conflict of interest on this application."))
            return redirect("grants:review_detail", pk=assignment.pk)
        return render(request, "grants/review_recused.html", {"assignment": assignment, "call": application.call})
    if not assignment.declared_at:
        form = DeclarationForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.review_declare(
                    assignment=assignment,
                    user=request.user,
                    conflict=form.cleaned_data["conflict"],
                    note=form.cleaned_data["note"],
                )
            except GrantsError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                if form.cleaned_data["conflict"]:
                    messages.info(request, _("Recorded: you are recused from this application."))
                return redirect("grants:review_detail", pk=assignment.pk)
        return render(
            request, "grants/review_declare.html", {"assignment": assignment, "form": form, "call": application.call}
        )
    criteria = list(application.call.criteria.all())
    review = getattr(assignment, "review", None)
    initial = {}
    if review is not None:
        initial = {
            "recommendation": review.recommendation,
            "comment_for_staff": review.comment_for_staff,
            "comment_for_group": review.comment_for_group,
        }
        for score in review.scores.all():
            initial[f"points_{score.criterion_id}"] = score.points
            initial[f"comment_{score.criterion_id}"] = score.comment
    form = ReviewForm(request.POST or None, criteria=criteria, initial=initial)
    problems = []
    if request.method == "POST":
        if form.is_valid():
            c = form.cleaned_data
            scores = [
                services.ScoreInput(cr.pk, c.get(f"points_{cr.pk}"), c.get(f"comment_{cr.pk}", "")) for cr in criteria
            ]
            try:
                services.review_save(
                    assignment=assignment,
                    user=request.user,
                    scores=scores,
                    recommendation=c.get("recommendation", ""),
                    comment_for_staff=c.get("comment_for_staff", ""),
                    comment_for_group=c.get("comment_for_group", ""),
                    submit="submit" in request.POST,
                )
            except GrantsError as exc:
                problems = exc.messages
            else:
                messages.success(request, _("Review submitted.") if "submit" in request.POST else _("Saved."))
                return redirect("grants:review_detail", pk=assignment.pk)
        else:
            problems = [_("Some scores need attention; see the messages beside them.")]
    return render(
        request,
        "grants/review_detail.html",
        {
            "assignment": assignment,
            "application": application,
            "form": form,
            "problems": problems,
            "blind": application.call.blind_review,
            "review": review,
            "editable": application.status == services.lifecycle.Status.IN_REVIEW,
            "attachments": [
                a for a in application.attachments.all() if not (application.call.blind_review and a.identifying)
            ],
        },
    )


@login_required
@require_GET
def review_attachment(request, pk, attachment_pk):
    """An attachment of an application the reviewer may open; identifying ones stay hidden under blind review."""
    assignment = selectors.assignment_for_reviewer(user=request.user, pk=pk)
    if not assignment.declared_at or assignment.recused:
        raise Http404
    attachment = get_object_or_404(assignment.application.attachments, pk=attachment_pk)
    if assignment.application.call.blind_review and attachment.identifying:
        raise Http404
    return private_file_response(attachment.file, content_type=attachment.content_type, label=attachment.title)


# --- public notice and agreements -------------------------------------------------------------


def notice(request):
    """公示: proposed awards with reviewers and a countdown, and a signed objection form. A filed
    objection is answered on this page (no redirect): a phone number's code is shown only here."""
    forms_by_id = {}
    filed = None
    status = 200
    if request.method == "POST":
        application_id = request.POST.get("application")
        form = ObjectionForm(request.POST, auto_id=f"id_{application_id}_%s")
        form.is_valid()
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        application = Application.objects.filter(pk=application_id if str(application_id).isdecimal() else 0).first()
        if application is None:
            raise Http404
        if not form.is_valid():
            # The form's own messages, beside their fields. A mistake writes and sends nothing, so
            # it is not counted: a resident who mistypes a phone number is not locked out by it.
            forms_by_id[application.pk] = form
        elif ratelimit.limited(request, "objection", item=application.pk):
            form.add_error(
                None, _("Too many objections have come from your connection in the last hour. Please try again later.")
            )
            forms_by_id[application.pk] = form
            status = 429
        else:
            try:
                filed = services.objection_submit(
                    application=application, **{k: form.cleaned_data.get(k, "") for k in ("name", "contact", "text")}
                )
            except GrantsError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
                forms_by_id[application.pk] = form
    entries = selectors.notice_list()
    for entry in entries:
        # Each card's form gets its own element ids, so its labels point at its own fields.
        entry.form = forms_by_id.get(entry.application_id) or ObjectionForm(auto_id=f"id_{entry.application_id}_%s")
    listed = {entry.application_id for entry in entries}
    for application_id, form in forms_by_id.items():
        if application_id not in listed:
            # No card to show this form on (the award is not, or no longer, on notice): say why up top.
            for message in form.non_field_errors():
                messages.error(request, message)
    return render(
        request,
        "grants/notice.html",
        {"entries": entries, "now": timezone.now(), "filed": filed, "pending": ObjectionStatus.PENDING},
        status=status,
    )


@never_cache
def objection_confirm(request, token):
    """The link emailed to an objector: a button to confirm (a GET changes nothing, since mail
    scanners open links too). Nothing about the objector is shown."""
    objection = Objection.for_token(token)
    if objection is None:
        # Cut short by a mail program, too old, or never ours: say so, with the way back (a 404 page
        # would leave the objector wondering whether their objection counts).
        return render(request, "grants/objection_confirm.html", {"invalid": True}, status=404)
    done, problem = objection.status == ObjectionStatus.OPEN, ""
    if request.method == "POST" and not done:
        try:
            objection = services.objection_confirm(token=token)
            done = True
        except GrantsError as exc:
            problem = str(exc)
    return render(
        request,
        "grants/objection_confirm.html",
        {"title": objection.application.title, "done": done, "problem": problem},
        status=400 if problem else 200,
    )


def _agreement_for(request, pk):
    """The application and its agreement, for staff or the group's members; 404 otherwise."""
    if request.user.has_perm("grants.view_application"):
        application = selectors.application_for_staff(pk=pk)
    else:
        application = selectors.application_for_member(user=request.user, pk=pk)
    agreement = getattr(application, "agreement", None)
    if agreement is None:
        raise Http404
    return application, agreement


@login_required
@require_GET
def agreement_detail(request, pk):
    application, agreement = _agreement_for(request, pk)
    return render(
        request, "grants/agreement.html", {"application": application, "agreement": agreement, "terms": agreement.terms}
    )


@login_required
@require_GET
def agreement_pdf(request, pk):
    """The agreement exactly as issued at signing (rendered once, stored, served unchanged)."""
    from core.pdf import pdf_response
    from reports.documents import agreement_pdf as frozen

    _application, agreement = _agreement_for(request, pk)
    return pdf_response(lambda: frozen(agreement), filename=f"{agreement.number}.pdf")
