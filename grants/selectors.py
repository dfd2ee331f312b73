"""Reads for grants: what a person may see, lists with their filters, timelines, next steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from fundpool.money import format_amount

from . import lifecycle
from .lifecycle import Status
from .models import (
    Application,
    ApplicationAttachment,
    Call,
    GroupMembership,
    ResidentGroup,
)


def is_staff_user(user) -> bool:
    return bool(user.is_authenticated and user.has_perm("grants.view_application"))


# --- groups -----------------------------------------------------------------------------------


def group_list_for_user(*, user) -> QuerySet[ResidentGroup]:
    return (
        ResidentGroup.objects.filter(memberships__user=user)
        .select_related("community")
        .annotate(application_count=Count("applications", distinct=True))
        .order_by("name")
    )


def group_for_member(*, user, pk) -> ResidentGroup:
    """The group if `user` belongs to it; 404 otherwise (no hint that it exists)."""
    try:
        return ResidentGroup.objects.select_related("community").get(pk=pk, memberships__user=user)
    except (ResidentGroup.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def group_for_member_or_staff(*, user, pk) -> ResidentGroup:
    qs = ResidentGroup.objects.all()
    if not user.has_perm("grants.view_residentgroup"):
        qs = qs.filter(memberships__user=user)
    try:
        return qs.distinct().get(pk=pk)
    except (ResidentGroup.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def group_members(*, group) -> QuerySet[GroupMembership]:
    return group.memberships.select_related("user").order_by("-role", "joined_at")


# --- calls ------------------------------------------------------------------------------------


def call_list_open(*, at: datetime | None = None) -> QuerySet[Call]:
    at = at or timezone.now()
    return (
        Call.objects.filter(published=True, opens_at__lte=at, closes_at__gt=at)
        .prefetch_related("problems__theme", "communities")
        .order_by("closes_at")
    )


def call_list_for_staff() -> QuerySet[Call]:
    return Call.objects.annotate(
        application_count=Count("applications", filter=~Q(applications__status=Status.DRAFT))
    ).order_by("-opens_at")


# --- applications -----------------------------------------------------------------------------


def application_list_for_user(*, user) -> QuerySet[Application]:
    return (
        Application.objects.filter(group__memberships__user=user)
        .select_related("call", "group")
        .order_by("-updated_at")
    )


def application_for_member(*, user, pk) -> Application:
    """The application if `user` is a member of its group; 404 otherwise."""
    try:
        return (
            Application.objects.select_related("call", "group__community", "problem__theme")
            .prefetch_related("budget_lines", "milestones", "attachments")
            .get(pk=pk, group__memberships__user=user)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def application_for_staff(*, pk) -> Application:
    try:
        return (
            Application.objects.select_related("call", "group__community", "problem__theme")
            .prefetch_related("budget_lines", "milestones", "attachments")
            .get(pk=pk)
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def attachment_for(*, user, pk) -> ApplicationAttachment:
    """An attachment for a member of the applying group or for staff; 404 for anyone else."""
    qs = ApplicationAttachment.objects.select_related("application")
    if not is_staff_user(user):
        qs = qs.filter(application__group__memberships__user=user)
    try:
        return qs.get(pk=pk)
    except (ApplicationAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class StaffFilters:
    status: str = ""
    theme: str = ""
    community: str = ""
    track: str = ""
    q: str = ""


def application_list_for_call(*, call: Call, filters: StaffFilters) -> QuerySet[Application]:
    """Applications to a call as staff see them (drafts are the group's own business)."""
    qs = (
        Application.objects.filter(call=call)
        .exclude(status=Status.DRAFT)
        .select_related("group__community", "problem__theme", "call")
        .order_by("submitted_at", "pk")
    )
    if filters.status in lifecycle.STATE:
        qs = qs.filter(status=filters.status)
    if filters.theme:
        qs = qs.filter(problem__theme__code=filters.theme)
    if filters.community:
        qs = qs.filter(group__community__code=filters.community)
    if filters.track == "registered":
        qs = qs.filter(group__group_type="registered")
    elif filters.track == "filed":
        qs = qs.exclude(group__group_type="registered")
    if filters.q:
        qs = qs.filter(Q(title__icontains=filters.q) | Q(group__name__icontains=filters.q))
    return qs


def application_status_counts(*, call: Call) -> dict[str, int]:
    rows = Application.objects.filter(call=call).values("status").annotate(n=Count("pk")).order_by()
    return {r["status"]: r["n"] for r in rows}


@dataclass
class TimelineEvent:
    at: datetime
    status: str
    label: str
    reason: str
    by_staff: bool


def application_timeline(*, application: Application, for_applicant: bool) -> list[TimelineEvent]:
    """The status history from the lifecycle log. Applicants see their own wording, and no names
    of staff; reasons staff gave for returning, rejecting or declining are shown to them."""
    logs = (
        StateLog.objects.filter(content_type=ContentType.objects.get_for_model(Application), object_id=application.pk)
        .select_related("by")
        .order_by("timestamp", "pk")
    )
    events = [TimelineEvent(application.created_at, Status.DRAFT, "", "", False)]
    for log in logs:
        events.append(
            TimelineEvent(
                at=log.timestamp,
                status=log.state,
                label="",
                reason=log.description or "",
                by_staff=bool(log.by and not application.group.memberships.filter(user=log.by).exists()),
            )
        )
    for event in events:
        info = lifecycle.STATE[event.status]
        event.label = str(info.applicant_label if for_applicant else info.staff_label)
    if for_applicant:
        # Steps inside review that look the same from outside are shown once.
        merged: list[TimelineEvent] = []
        for event in events:
            if merged and merged[-1].label == event.label and not event.reason:
                continue
            merged.append(event)
        events = merged
    return events


def application_next_steps(*, application: Application) -> list[str]:
    """What the group must do next, in words."""
    s = application.status
    if s == Status.DRAFT:
        problems = application.submission_problems()
        if problems:
            closes = timezone.localtime(application.call.closes_at).strftime("%Y-%m-%d %H:%M")
            return [_("Complete the application and submit it before %(closes)s.") % {"closes": closes}, *problems[:3]]
        return [_("Everything is filled in: submit the application.")]
    if s == Status.RETURNED:
        return [_("Make the changes staff asked for and submit again.")]
    if s == Status.AWARDED:
        return [_("Sign the grant agreement with the fund.")]
    if s == Status.IN_DELIVERY:
        return [_("Record activities and expenses; submit the final report when the project ends.")]
    return []


def application_submission_problems(*, application: Application) -> list[str]:
    """Every reason the application can't be submitted now, for the applicant, all at once."""
    problems: list[str] = []
    call, group = application.call, application.group
    now = timezone.now()
    if not call.published or now < call.opens_at:
        problems.append(_("This call is not open for applications yet."))
    elif now >= call.closes_at:
        problems.append(
            _("This call closed on %(closes)s; applications can no longer be submitted.")
            % {"closes": timezone.localtime(call.closes_at).strftime("%Y-%m-%d %H:%M")}
        )
    if group.group_type == "registered":
        if not group.credit_code:
            problems.append(_("The organisation's unified social credit code is missing."))
    elif not group.is_filed:
        problems.append(_("Your group must be filed (备案) with the sub-district before it can apply."))
    if not call.accepts_group(group):
        problems.append(_("This call is not open to your group's community or type."))
    required = [
        ("title", _("project title")),
        ("summary", _("summary")),
        ("activities", _("activities")),
        ("beneficiaries", _("who benefits")),
        ("team", _("team")),
    ]
    for field, label in required:
        if not (getattr(application, field) or "").strip():
            problems.append(_("Fill in the %(field)s.") % {"field": label})
    if not application.beneficiary_count:
        problems.append(_("Say how many people benefit."))
    if application.problem_id is None:
        problems.append(_("Choose the priority problem the project addresses."))
    elif call.problems.exists() and not call.problems.filter(pk=application.problem_id).exists():
        problems.append(_("The priority problem chosen is not one of this call's."))
    lines = list(application.budget_lines.all())
    total = sum((line.amount for line in lines), start=application.requested_amount * 0)
    if not lines:
        problems.append(_("Add at least one budget line."))
    for line in lines:
        if line.unit_cost * line.quantity != line.amount:
            problems.append(
                _("Budget line “%(item)s”: %(unit)s × %(qty)s is not %(amount)s.")
                % {"item": line.item, "unit": line.unit_cost, "qty": line.quantity, "amount": line.amount}
            )
    if total != application.requested_amount:
        problems.append(
            _("The budget lines add up to %(total)s but the request is %(requested)s.")
            % {"total": format_amount(total), "requested": format_amount(application.requested_amount)}
        )
    if application.requested_amount and not (call.min_amount <= application.requested_amount <= call.max_amount):
        problems.append(
            _("This call funds between %(min)s and %(max)s; the request is %(requested)s.")
            % {
                "min": format_amount(call.min_amount),
                "max": format_amount(call.max_amount),
                "requested": format_amount(application.requested_amount),
            }
        )
    if not application.milestones.exists():
        problems.append(_("Add at least one milestone."))
    return problems


def applications_for_export(*, call: Call, filters: StaffFilters):
    return application_list_for_call(call=call, filters=filters).annotate(
        attachment_count=Count("attachments", distinct=True)
    )


def budget_summary(*, application: Application):
    return application.budget_lines.values("category").annotate(total=Sum("amount")).order_by("category")


def reviewer_candidates(*, application: Application):
    """Trustee reviewers who are not in the applying group and not yet assigned."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(groups__name="评审 Reviewer", is_active=True)
        .exclude(group_memberships__group=application.group)
        .exclude(review_assignments__application=application)
        .order_by("username")
        .distinct()
    )


def groups_awaiting_filing() -> QuerySet[ResidentGroup]:
    return ResidentGroup.objects.filter(filing_status="pending").select_related("community").order_by("created_at")
