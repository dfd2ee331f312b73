"""The work queue (待办): what waits on the person signed in, by what their role lets them do.
Each line is a count and the age of its oldest item, and lists the items, oldest first. Every
line costs two queries whatever the number of grants (a count with the oldest date, then the
first items)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grants.conversation.rules import is_fund_staff
from grants.lifecycle import Status
from grants.models import (
    Application,
    Expense,
    ExpenseStatus,
    FilingStatus,
    InfoRequestItem,
    ItemStatus,
    Message,
    MessageKind,
    Objection,
    ObjectionStatus,
    ProjectReport,
    ReportStatus,
    ResidentGroup,
    ReviewAssignment,
    Thread,
    Tranche,
    TrancheStatus,
)

ITEMS_SHOWN = 20
NOTICE_ENDING_DAYS = 2


def _perm(name: str) -> Callable:
    return lambda user: user.has_perm(name)


def _app_link(application_id: int, anchor: str = "") -> str:
    return reverse("grants_admin:application", args=[application_id]) + (f"#{anchor}" if anchor else "")


@dataclass(frozen=True)
class Line:
    key: str
    label: str
    allowed: Callable
    items: Callable  # (today, now) -> QuerySet
    since: str  # the field whose smallest value is the oldest item's start
    describe: Callable  # obj -> (text, url, detail)
    related: tuple = field(default=())


def _group_text(obj) -> tuple:
    return obj.name, reverse("grants_admin:group_filing", args=[obj.pk]), str(obj.community)


def _application_text(application, anchor="") -> tuple:
    return application.title, _app_link(application.pk, anchor), application.group.name


LINES: tuple[Line, ...] = (
    Line(
        "groups_to_file",
        _("Groups to file"),
        _perm("grants.file_residentgroup"),
        lambda today, now: ResidentGroup.objects.filter(filing_status=FilingStatus.PENDING),
        "created_at",
        _group_text,
        ("community",),
    ),
    Line(
        "to_screen",
        _("Applications to screen"),
        _perm("grants.screen_application"),
        lambda today, now: Application.objects.filter(status=Status.SUBMITTED),
        "submitted_at",
        lambda a: _application_text(a),
        ("group",),
    ),
    Line(
        "reviews_overdue",
        _("Reviews overdue"),
        _perm("grants.screen_application"),
        lambda today, now: ReviewAssignment.objects.filter(
            application__status=Status.IN_REVIEW, recused=False, due_on__lt=today
        ).filter(Q(review__isnull=True) | Q(review__submitted_at__isnull=True)),
        "due_on",
        lambda r: (
            r.application.title,
            _app_link(r.application_id, "reviewers"),
            _("%(reviewer)s, due %(date)s")
            % {"reviewer": r.reviewer.get_full_name() or r.reviewer.username, "date": r.due_on.isoformat()},
        ),
        ("application", "reviewer"),
    ),
    Line(
        "notices_ending",
        _("Notices ending"),
        _perm("grants.decide_application"),
        lambda today, now: Application.objects.filter(
            status=Status.ON_NOTICE, notice_ends_at__lte=now + datetime.timedelta(days=NOTICE_ENDING_DAYS)
        ),
        "notice_starts_at",
        lambda a: (
            a.title,
            _app_link(a.pk),
            _("ends %(at)s") % {"at": timezone.localtime(a.notice_ends_at).strftime("%Y-%m-%d %H:%M")}
            if a.notice_ends_at
            else "",
        ),
        ("group",),
    ),
    Line(
        "objections_open",
        _("Objections open"),
        _perm("grants.decide_application"),
        lambda today, now: Objection.objects.filter(status__in=[ObjectionStatus.OPEN, ObjectionStatus.PENDING]),
        "created_at",
        lambda o: (
            o.application.title,
            _app_link(o.application_id, f"objection-{o.pk}"),
            f"{o.reference} · {o.get_status_display()}",
        ),
        ("application",),
    ),
    Line(
        "agreements_to_sign",
        _("Agreements to sign"),
        _perm("grants.manage_delivery"),
        lambda today, now: Application.objects.filter(status=Status.AWARDED),
        "awarded_at",
        lambda a: _application_text(a),
        ("group",),
    ),
    Line(
        "tranches_due",
        _("Tranches due"),
        _perm("grants.pay_tranche"),
        lambda today, now: Tranche.objects.filter(status=TrancheStatus.DUE),
        "due_on",
        lambda t: (
            t.application.title,
            _app_link(t.application_id, "tranches"),
            _("tranche %(n)s, ¥%(amount)s") % {"n": t.number, "amount": f"{t.amount:,.2f}"},
        ),
        ("application",),
    ),
    Line(
        "reports_to_evaluate",
        _("Reports to evaluate"),
        _perm("grants.evaluate_report"),
        lambda today, now: ProjectReport.objects.filter(status=ReportStatus.SUBMITTED),
        "submitted_at",
        lambda r: (r.application.title, _app_link(r.application_id, "reports"), r.get_kind_display()),
        ("application",),
    ),
    Line(
        "expenses_to_approve",
        _("Expenses to approve"),
        _perm("grants.manage_delivery"),
        lambda today, now: Expense.objects.filter(status=ExpenseStatus.PENDING),
        "created_at",
        lambda e: (
            e.application.title,
            _app_link(e.application_id, "expenses"),
            f"¥{e.amount:,.2f} · {e.payee}",
        ),
        ("application",),
    ),
    Line(
        "messages_unanswered",
        _("Messages unanswered"),
        is_fund_staff,
        lambda today, now: Thread.objects.filter(awaiting_staff_since__isnull=False),
        "awaiting_staff_since",
        lambda t: (
            t.application.title,
            reverse("grants_admin:thread", args=[t.application_id]),
            t.application.group.name,
        ),
        ("application__group",),
    ),
    Line(
        "questions_to_pass_on",
        _("Reviewers' questions to pass on"),
        is_fund_staff,
        lambda today, now: Message.objects.filter(kind=MessageKind.QUESTION, relayed_as__isnull=True),
        "created_at",
        lambda m: (
            m.thread.application.title,
            reverse("grants_admin:thread", args=[m.thread.application_id]) + "#questions",
            m.body[:60],
        ),
        ("thread__application",),
    ),
    Line(
        "items_to_check",
        _("Requested items sent, to accept"),
        is_fund_staff,
        lambda today, now: InfoRequestItem.objects.filter(status=ItemStatus.DONE),
        "done_at",
        lambda i: (
            i.request.application.title,
            reverse("grants_admin:thread", args=[i.request.application_id]) + f"#item-{i.pk}",
            i.label,
        ),
        ("request__application",),
    ),
    Line(
        "requests_overdue",
        _("Requests overdue"),
        is_fund_staff,
        lambda today, now: InfoRequestItem.objects.filter(status=ItemStatus.OPEN, due_on__lt=today),
        "due_on",
        lambda i: (
            i.request.application.title,
            reverse("grants_admin:thread", args=[i.request.application_id]) + f"#item-{i.pk}",
            _("%(label)s, due %(date)s") % {"label": i.label, "date": i.due_on.isoformat()},
        ),
        ("request__application",),
    ),
)
BY_KEY = {line.key: line for line in LINES}


@dataclass
class QueueLine:
    key: str
    label: str
    count: int
    oldest: datetime.datetime | datetime.date | None
    age_days: int | None
    items: list = field(default_factory=list)  # [(text, url, detail, since)]


def _age_days(oldest, now) -> int | None:
    if oldest is None:
        return None
    if isinstance(oldest, datetime.datetime):
        return max(0, (now - oldest).days)
    return max(0, (timezone.localdate(now) - oldest).days)


def lines_for(user) -> list[Line]:
    if not (user and user.is_authenticated):
        return []
    return [line for line in LINES if line.allowed(user)]


def queue_for(*, user, with_items: bool = False, only: str | None = None) -> list[QueueLine]:
    """The lines this person's role puts on their queue, each with its count and oldest age; with
    the items too when asked (the queue page), or one line's items (`only`)."""
    now = timezone.now()
    today = timezone.localdate(now)
    out = []
    for line in lines_for(user):
        if only and line.key != only:
            continue
        qs: QuerySet = line.items(today, now)
        summary = qs.aggregate(n=Count("pk"), oldest=Min(line.since))
        entry = QueueLine(line.key, line.label, summary["n"], summary["oldest"], _age_days(summary["oldest"], now))
        if with_items and entry.count:
            rows = qs.select_related(*line.related).order_by(line.since, "pk")[:ITEMS_SHOWN]
            entry.items = [(*line.describe(obj), getattr(obj, line.since.split("__")[0], None)) for obj in rows]
        out.append(entry)
    return out
