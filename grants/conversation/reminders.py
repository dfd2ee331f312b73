"""Reminders for requests for information: to the group two days before an item is due, and once
more, to the group and to staff, when the date is missed. Each goes once (ReminderSent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from grants.models import InfoRequestItem, ItemStatus, ReminderSent

from . import notify

BEFORE_DAYS = 2


@dataclass
class InfoReminderRun:
    emails: int = 0
    skipped: int = 0


def _once(key: str, email: str) -> bool:
    try:
        with transaction.atomic():
            ReminderSent.objects.create(key=key[:200], recipient=email)
    except IntegrityError:
        return False
    return True


def info_reminders_send(*, today: date | None = None) -> InfoReminderRun:
    today = today or timezone.localdate()
    run = InfoReminderRun()
    items = (
        InfoRequestItem.objects.filter(status=ItemStatus.OPEN, due_on__lte=today + timedelta(days=BEFORE_DAYS))
        .select_related("request__application__group")
        .order_by("request__application_id", "due_on", "pk")
    )
    by_application: dict[int, tuple] = {}
    for item in items:
        missed = item.due_on < today
        application = item.request.application
        entry = by_application.setdefault(application.pk, (application, [], []))
        # The key names the due date, so an item asked again with a new date is reminded again.
        stage = "missed" if missed else "before"
        entry[2 if missed else 1].append((item, f"rfi:{item.pk}:{item.due_on.isoformat()}:{stage}"))
    staff = notify.staff_emails()
    for application, soon, missed in by_application.values():
        members = list(application.group.memberships.values_list("user__email", flat=True))
        for items, is_missed in ((soon, False), (missed, True)):
            if not items:
                continue
            for email in [e for e in members if e]:
                fresh = [item for item, key in items if _once(f"{key}:{email}", email)]
                if not fresh:
                    run.skipped += 1
                    continue
                transaction.on_commit(
                    lambda e=email, a=application, f=fresh, m=is_missed: notify.info_reminder(
                        e, a, f, missed=m, to_staff=False
                    )
                )
                run.emails += 1
            if is_missed:
                for email in staff:
                    fresh = [item for item, key in items if _once(f"{key}:staff:{email}", email)]
                    if fresh:
                        transaction.on_commit(
                            lambda e=email, a=application, f=fresh: notify.info_reminder(
                                e, a, f, missed=True, to_staff=True
                            )
                        )
                        run.emails += 1
    return run


def review_reminders_send(*, today: date | None = None) -> int:
    """Reviewers whose review is due within two days, or overdue, and not handed in: one email
    before, one when overdue, per assignment and due date."""
    from django.db.models import Q

    from grants import notify as grants_notify
    from grants.lifecycle import Status
    from grants.models import ReviewAssignment

    today = today or timezone.localdate()
    assignments = (
        ReviewAssignment.objects.filter(
            application__status__in=[Status.SUBMITTED, Status.IN_REVIEW],
            recused=False,
            due_on__lte=today + timedelta(days=BEFORE_DAYS),
        )
        .filter(Q(review__isnull=True) | Q(review__submitted_at__isnull=True))
        .select_related("reviewer", "application__call")
    )
    sent = 0
    for assignment in assignments:
        overdue = assignment.due_on < today
        key = f"review:{assignment.pk}:{assignment.due_on.isoformat()}:{'overdue' if overdue else 'before'}"
        if assignment.reviewer.email and _once(key, assignment.reviewer.email):
            transaction.on_commit(lambda a=assignment, o=overdue: grants_notify.review_reminder(a, overdue=o))
            sent += 1
    return sent
