"""Reads about calls and applications: open calls, a member's or staff's applications, screening lists and exports, the timeline and next steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from grants import lifecycle, system_reasons
from grants.common import is_staff_user
from grants.lifecycle import Status
from grants.models import (
    Application,
    ApplicationAttachment,
    Call,
)
from grants.models.submission import same_group


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


def same_group_applications(*, application: Application) -> QuerySet[Application]:
    """For screening: the group's other applications in this call that staff can see (not
    drafts, not set aside), so one group is not funded twice without anyone noticing."""
    return same_group(application).exclude(status=Status.DRAFT).order_by("pk")


def application_list_for_call(*, call: Call, filters: StaffFilters) -> QuerySet[Application]:
    """Applications to a call as staff see them (drafts are the group's own business), each with
    `same_group_count`: the group's other applications in the call (not drafts, not set aside)."""
    others = (
        Application.objects.filter(call=OuterRef("call"), group=OuterRef("group"))
        .exclude(pk=OuterRef("pk"))
        .exclude(status__in=[Status.DRAFT, *lifecycle.SET_ASIDE])
        .order_by()
        .values("group")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        Application.objects.filter(call=call)
        .exclude(status=Status.DRAFT)
        .select_related("group__community", "problem__theme", "call")
        .annotate(same_group_count=Coalesce(Subquery(others), 0))
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
    # The reason is a note for fund staff only (lifecycle.Step.reason_audience).
    internal: bool = False


def application_timeline(*, application: Application, for_applicant: bool) -> list[TimelineEvent]:
    """The status history from the lifecycle log. Applicants see their own wording, and no names
    of staff; of the reasons, only those of steps whose reason is for the group (the lifecycle
    table says which): an internal note never reaches them."""
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
                reason=system_reasons.display(log.description),
                by_staff=bool(log.by and not application.group.memberships.filter(user=log.by).exists()),
                internal=not lifecycle.reason_for_group(log.transition),
            )
        )
    if for_applicant:
        for event in events:
            if event.internal:
                event.reason = ""
    for event in events:
        info = lifecycle.STATE[event.status]
        event.label = str(info.applicant_label if for_applicant else info.staff_label)
    if for_applicant:
        # Steps that read the same to the group (in review, then reviewed: both 评审中) are one
        # step for them, dated from its start; a reason given on a later one is kept with it.
        merged: list[TimelineEvent] = []
        for event in events:
            if merged and merged[-1].label == event.label:
                if event.reason:
                    merged[-1].reason = "\n".join(r for r in (merged[-1].reason, event.reason) if r)
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


def applications_for_export(*, call: Call, filters: StaffFilters):
    return application_list_for_call(call=call, filters=filters).annotate(
        attachment_count=Count("attachments", distinct=True)
    )


def budget_summary(*, application: Application):
    return application.budget_lines.values("category").annotate(total=Sum("amount")).order_by("category")
