"""Reads for the public notice and for staff's view of objections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from grants.lifecycle import Status
from grants.models import (
    Application,
)


@dataclass
class NoticeEntry:
    application_id: int
    group: str
    community: str
    project: str
    call: str
    amount: Decimal
    capacity_amount: Decimal
    reviewers: list
    recused: list
    starts_at: datetime
    ends_at: datetime
    ended: bool = False  # the notice is over, and the worker has not closed it yet: no more objections
    names_reviewers: bool = True  # the call says the notice names them (else only how many)


def notice_list(*, at: datetime | None = None) -> list[NoticeEntry]:
    """Proposed awards on public notice. Names a group, its project, the amount and the reviewers
    (recused ones marked); nothing about the people in the group or who objected."""
    from django.utils import timezone

    from grants.models import ReviewAssignment

    at = at or timezone.now()
    applications = list(
        Application.objects.filter(status=Status.ON_NOTICE)
        .select_related("group__community", "call")
        .order_by("notice_ends_at", "pk")
    )
    assignments = ReviewAssignment.objects.filter(application__in=applications).select_related("reviewer")
    names: dict[int, tuple[list, list]] = {a.pk: ([], []) for a in applications}
    for a in assignments:
        names[a.application_id][1 if a.recused else 0].append(a.reviewer.get_full_name() or a.reviewer.username)
    return [
        NoticeEntry(
            application_id=a.pk,
            group=a.group.name,
            community=a.group.community.name,
            project=a.title,
            call=a.call.title,
            amount=a.awarded_amount,
            capacity_amount=a.capacity_amount,
            reviewers=names[a.pk][0],
            recused=names[a.pk][1],
            starts_at=a.notice_starts_at,
            ends_at=a.notice_ends_at,
            ended=a.notice_ends_at is not None and a.notice_ends_at <= at,
            names_reviewers=a.call.notice_names_reviewers,
        )
        for a in applications
    ]


def objections_for_staff(*, application: Application) -> list:
    """An award's objections for the admin page, with who decided or confirmed them and every
    further statement from the same contact."""
    return list(application.objections.select_related("resolved_by", "confirmed_by").prefetch_related("statements"))
