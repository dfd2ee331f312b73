"""Eligibility at screening: each call's checklist, every item's result computed (or, for the items
staff add by hand, their latest tick and note), and possible duplicates flagged."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from grants import lifecycle
from grants.common import GrantsError, acting_user
from grants.models import (
    Application,
    CallCheck,
    EligibilityTick,
    FilingStatus,
    GroupType,
    RecoveryStatus,
    ReportKind,
)

MIN_MEMBERS = 3
SIMILAR_TITLE = 0.8


@dataclass
class Check:
    key: str
    label: str
    ok: bool | None  # None: not yet ticked (items checked by hand)
    detail: str = ""
    item: CallCheck | None = None


def checklist(application: Application) -> list[Check]:
    group, call = application.group, application.call
    today = timezone.localdate()
    checks = []
    filed = group.filing_status in (FilingStatus.FILED, FilingStatus.NOT_REQUIRED)
    checks.append(
        Check(
            "filed",
            _("Filed or registered group"),
            filed,
            group.get_filing_status_display() + (f" {group.filing_number}" if group.filing_number else ""),
        )
    )
    communities = list(call.communities.all())
    checks.append(
        Check(
            "community",
            _("In a community the call serves"),
            not communities or group.community in communities,
            group.community.name,
        )
    )
    others = (
        Application.objects.filter(call=call, group=group)
        .exclude(pk=application.pk)
        .exclude(status__in=[lifecycle.Status.DRAFT, *lifecycle.SET_ASIDE])
        .count()
    )
    checks.append(
        Check(
            "one_per_group",
            _("One application per group"),
            call.allow_multiple_applications or others == 0,
            _("the call allows several")
            if call.allow_multiple_applications and others
            else (_("%(n)s other application(s) of this group in the call") % {"n": others} if others else ""),
        )
    )
    earlier = Application.objects.filter(group=group, status__in=lifecycle.DELIVERY_STATES).exclude(pk=application.pk)
    overdue = earlier.filter(
        Q(final_due_on__lt=today) & ~Q(reports__kind=ReportKind.FINAL)
        | Q(midterm_due_on__lt=today) & ~Q(reports__kind=ReportKind.MIDTERM)
    ).distinct()
    overdue_titles = [a.title for a in overdue[:3]]
    checks.append(
        Check(
            "no_overdue_report",
            _("No overdue report from an earlier grant"),
            not overdue_titles,
            "、".join(overdue_titles),
        )
    )
    owed = group.applications.filter(recovery__status=RecoveryStatus.OWED).exclude(
        recovery__received_total__gte=F("recovery__amount_owed")
    )
    owed_titles = [a.title for a in owed.distinct()[:3]]
    checks.append(Check("no_money_owed", _("No money owed back"), not owed_titles, "、".join(owed_titles)))
    members_ok = group.group_type == GroupType.REGISTERED or (group.member_count or 0) >= MIN_MEMBERS
    checks.append(
        Check(
            "members",
            _("Enough members"),
            members_ok,
            _("%(n)s members") % {"n": group.member_count or 0},
        )
    )
    ticks = {}
    for tick in EligibilityTick.objects.filter(application=application).select_related("by").order_by("at", "pk"):
        ticks[tick.check_item_id] = tick  # the latest supersedes
    for item in call.checks.all():
        tick = ticks.get(item.pk)
        detail = ""
        if tick:
            who = tick.by.get_full_name() or tick.by.username if tick.by else ""
            detail = f"{tick.note} ({who}, {timezone.localtime(tick.at):%Y-%m-%d})".strip()
        checks.append(Check(f"item-{item.pk}", item.label, tick.ok if tick else None, detail, item=item))
    return checks


@transaction.atomic
def tick(*, application: Application, item: CallCheck, actor, ok: bool, note: str) -> EligibilityTick:
    """Staff tick a hand-checked item (met or not), with a note; the tick before stays in the history."""
    if not (actor and actor.has_perm("grants.screen_application")):
        raise GrantsError(_("You may not screen applications."))
    if item.call_id != application.call_id:
        raise GrantsError(_("That item is not on this call's checklist."))
    note = (note or "").strip()
    if not ok and not note:
        raise GrantsError(_("Say what is missing; the note stays with the application."))
    return EligibilityTick.objects.create(
        application=application, check_item=item, ok=ok, note=note[:500], by=acting_user(actor)
    )


@dataclass
class Duplicate:
    application: Application
    why: str


def possible_duplicates(application: Application) -> list[Duplicate]:
    """Applications in the same call that may be the same project: from the same group, with a
    similar title, or whose group has the same leader or contact phone."""
    group = application.group
    out = []
    others = (
        Application.objects.filter(call=application.call)
        .exclude(pk=application.pk)
        .exclude(status=lifecycle.Status.DRAFT)
        .select_related("group")
    )
    for other in others:
        reasons = []
        if other.group_id == group.pk:
            reasons.append(_("same group"))
        elif other.group.leader_phone and other.group.leader_phone == group.leader_phone:
            reasons.append(_("same contact phone"))
        elif other.group.leader_name and other.group.leader_name == group.leader_name:
            reasons.append(_("same leader's name"))
        ratio = difflib.SequenceMatcher(None, application.title, other.title).ratio()
        if ratio >= SIMILAR_TITLE:
            reasons.append(_("similar title"))
        if reasons:
            out.append(Duplicate(other, "、".join(str(r) for r in reasons)))
    return out
