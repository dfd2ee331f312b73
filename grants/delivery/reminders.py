"""Daily reminders of reports falling due, to the group and to staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from grants.delivery.payments import tranches_mark_due
from grants.models import (
    ReportKind,
)


@dataclass
class ReminderRun:
    tranches_due: int = 0
    emails: int = 0
    skipped: int = 0


def _people_with(perm: str):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db.models import Q

    app_label, codename = perm.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    return users.filter(
        Q(groups__permissions=permission) | Q(user_permissions=permission) | Q(is_superuser=True)
    ).distinct()


def reminders_send(*, today: date | None = None) -> ReminderRun:
    """Tell groups what is due (reports, activity, spending) and staff and finance what needs them
    (every warning; tranches due). Each person gets one email per day at most, however often it runs."""
    from grants import notify
    from grants.delivery.selectors import WarningKind, delivery_warnings, upcoming_reports
    from grants.models import ReminderSent

    today = today or timezone.localdate()
    run = ReminderRun(tranches_due=tranches_mark_due(today=today))
    warnings = delivery_warnings(today=today)
    upcoming = upcoming_reports(today=today)

    digests: dict[tuple[str, str], dict] = {}

    def add(email, scope, context_key, item, extra=None):
        entry = digests.setdefault((email, scope), {"warnings": [], "upcoming": [], **(extra or {})})
        entry[context_key].append(item)

    for w in warnings:
        if w.for_group:
            for email in w.application.group.memberships.exclude(user__email="").values_list("user__email", flat=True):
                add(email, f"group:{w.application.group_id}", "warnings", w, {"group": w.application.group})
    for app, kind, due_on in upcoming:
        for email in app.group.memberships.exclude(user__email="").values_list("user__email", flat=True):
            add(email, f"group:{app.group_id}", "upcoming", (app, ReportKind(kind).label, due_on), {"group": app.group})
    if warnings:
        for user in _people_with("grants.manage_delivery"):
            for w in warnings:
                add(user.email, "staff", "warnings", w)
        due = [w for w in warnings if w.kind == WarningKind.TRANCHE_DUE]
        for user in _people_with("grants.pay_tranche"):
            for w in due:
                add(user.email, "finance", "warnings", w)

    for (email, scope), context in sorted(digests.items(), key=lambda kv: kv[0]):
        key = f"{today.isoformat()}:{scope}:{email}"[:200]
        try:
            with transaction.atomic():
                ReminderSent.objects.create(key=key, recipient=email)
        except IntegrityError:
            run.skipped += 1
            continue
        transaction.on_commit(lambda e=email, s=scope, c=context: notify.delivery_reminder(e, s, c, today))
        run.emails += 1
    return run
