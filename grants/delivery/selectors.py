"""Reads of delivery: budget against actual, the project overview, feedback, warnings, reports due."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Max, Q, Sum
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.money import format_amount
from grants import lifecycle
from grants.models import (
    CHARGED,
    Activity,
    Application,
    BudgetLine,
    Expense,
    ExpenseStatus,
    Feedback,
    FeedbackStatus,
    ProjectPhoto,
    ProjectReport,
    ReportKind,
    ReportStatus,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
)

ZERO = Decimal("0.00")


DELIVERY_STATES = lifecycle.DELIVERY_STATES


# Spending counts as far behind when less than this share of the time elapsed has been spent,
# once at least MIN_ELAPSED of the project's time has passed.
BEHIND_RATIO = Decimal("0.5")


MIN_ELAPSED = Decimal("0.3")


@dataclass
class LineRow:
    line: BudgetLine
    budget: Decimal
    allowance: Decimal
    spent: Decimal  # recorded, approved and pending (the money is spent)
    pending: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent

    @property
    def over_budget(self) -> bool:
        return self.spent > self.budget

    @property
    def over_tolerance(self) -> bool:
        return self.spent > self.allowance

    @property
    def awaiting_approval(self) -> bool:
        return self.over_tolerance and self.pending > 0

    @property
    def approved_overspend(self) -> bool:
        """Beyond the tolerance, but staff approved every expense that took it there."""
        return self.over_tolerance and self.pending == 0

    @property
    def overspent_by(self) -> Decimal:
        return max(self.spent - self.budget, ZERO)

    @property
    def percent(self) -> int:
        return int(self.spent * 100 / self.budget) if self.budget else 0


@dataclass
class BudgetTable:
    rows: list[LineRow]
    budget: Decimal
    spent: Decimal
    pending: Decimal
    awarded: Decimal
    tolerance: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.spent


def budget_vs_actual(*, application: Application) -> BudgetTable:
    from grants.delivery.rules import line_allowance

    tolerance = application.call.spending_tolerance
    lines = list(application.budget_lines.all())
    sums = defaultdict(lambda: {"spent": ZERO, "pending": ZERO})
    for row in (
        Expense.objects.filter(application=application, status__in=CHARGED)
        .values("budget_line", "status")
        .annotate(total=Sum("amount"))
    ):
        sums[row["budget_line"]]["spent"] += row["total"]
        if row["status"] == ExpenseStatus.PENDING:
            sums[row["budget_line"]]["pending"] += row["total"]
    rows = [
        LineRow(
            line=line,
            budget=line.amount,
            allowance=line_allowance(line, tolerance),
            spent=sums[line.pk]["spent"],
            pending=sums[line.pk]["pending"],
        )
        for line in lines
    ]
    return BudgetTable(
        rows=rows,
        budget=sum((r.budget for r in rows), ZERO),
        spent=sum((r.spent for r in rows), ZERO),
        pending=sum((r.pending for r in rows), ZERO),
        awarded=application.awarded_amount or ZERO,
        tolerance=tolerance,
    )


def project_for_member(*, user, pk) -> Application:
    """A funded project of one of `user`'s groups; 404 for anyone else's (or an unfunded one)."""
    try:
        return Application.objects.select_related("call", "group", "agreement").get(
            pk=pk, group__memberships__user=user, status__in=DELIVERY_STATES
        )
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def may_see_project_files(user) -> bool:
    return user.is_authenticated and (
        user.has_perm("grants.manage_delivery") or user.has_perm("grants.view_application")
    )


def _member_or_staff_filter(user):
    """Staff see every project's files; a group its own; a trustee those of projects they reviewed."""
    if may_see_project_files(user):
        return Q()
    return Q(application__group__memberships__user=user) | Q(
        application__review_assignments__reviewer=user, application__review_assignments__recused=False
    )


def photo_for(*, user, pk) -> ProjectPhoto:
    if not user.is_authenticated:
        raise Http404
    try:
        return ProjectPhoto.objects.filter(_member_or_staff_filter(user)).distinct().get(pk=pk)
    except (ProjectPhoto.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def expense_for(*, user, pk) -> Expense:
    if not user.is_authenticated:
        raise Http404
    try:
        return Expense.objects.filter(_member_or_staff_filter(user)).distinct().get(pk=pk)
    except (Expense.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class FeedbackSummary:
    count: int
    average: Decimal | None
    distribution: list[tuple[int, int]]  # (stars, count), 5 down to 1
    comments: list[Feedback] = field(default_factory=list)


def feedback_summary(*, application: Application, comments: int = 20) -> FeedbackSummary:
    """Ratings in aggregate, with only the comments staff approved (never who sent them)."""
    agg = Feedback.objects.filter(application=application).exclude(status=FeedbackStatus.HIDDEN)
    by_stars = dict(agg.values_list("rating").annotate(n=Count("pk")).values_list("rating", "n"))
    totals = agg.aggregate(n=Count("pk"), avg=Avg("rating"))
    average = Decimal(str(totals["avg"])).quantize(Decimal("0.1")) if totals["avg"] is not None else None
    shown = list(
        Feedback.objects.filter(application=application, status=FeedbackStatus.APPROVED)
        .exclude(comment="")
        .only("rating", "comment", "created_at")[:comments]
    )
    return FeedbackSummary(
        count=totals["n"],
        average=average,
        distribution=[(s, by_stars.get(s, 0)) for s in range(5, 0, -1)],
        comments=shown,
    )


@dataclass
class ProjectOverview:
    application: Application
    budget: BudgetTable
    tranches: list[Tranche]
    activities: list[Activity]
    expenses: list[Expense]
    reports: list[ProjectReport]
    feedback: FeedbackSummary
    recovery: object
    can_submit: dict


def project_overview(*, application: Application) -> ProjectOverview:
    from grants.delivery.rules import midterm_required

    reports = list(
        application.reports.select_related("evaluated_by").prefetch_related("photos").order_by("submitted_at", "pk")
    )
    in_play = {r.kind for r in reports if r.status in (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)}
    accepted = {r.kind for r in reports if r.status == ReportStatus.ACCEPTED}
    recording = application.status == lifecycle.Status.IN_DELIVERY
    return ProjectOverview(
        application=application,
        budget=budget_vs_actual(application=application),
        tranches=list(application.tranches.all()),
        activities=list(application.activity_records.prefetch_related("photos")),
        expenses=list(application.expenses.select_related("budget_line")),
        reports=reports,
        feedback=feedback_summary(application=application),
        recovery=getattr(application, "recovery", None),
        can_submit={
            "midterm": recording and ReportKind.MIDTERM not in in_play,
            "final": recording
            and ReportKind.FINAL not in in_play
            and (ReportKind.MIDTERM in accepted or not midterm_required(application)),
        },
    )


def feedback_awaiting_moderation(*, limit: int = 100):
    return (
        Feedback.objects.filter(status=FeedbackStatus.PENDING)
        .exclude(comment="")
        .select_related("application")
        .order_by("created_at")[:limit]
    )


def reports_awaiting_evaluation():
    return (
        ProjectReport.objects.filter(status=ReportStatus.SUBMITTED)
        .select_related("application__group", "application__call")
        .order_by("submitted_at")
    )


class WarningKind:
    OVERSPENT = "overspent"
    REPORT_OVERDUE = "report_overdue"
    INACTIVE = "inactive"
    SPEND_BEHIND = "spend_behind"
    TRANCHE_DUE = "tranche_due"


WARNING_LABELS = {
    WarningKind.OVERSPENT: _("Budget line beyond tolerance"),
    WarningKind.REPORT_OVERDUE: _("Report overdue"),
    WarningKind.INACTIVE: _("No activity recorded"),
    WarningKind.SPEND_BEHIND: _("Spending far behind the timeline"),
    WarningKind.TRANCHE_DUE: _("Tranche due but unpaid"),
}


@dataclass
class DeliveryWarning:
    kind: str
    application: Application
    detail: str
    # Who is told by `send_reminders`: the group (something for them to do) and/or staff.
    for_group: bool = True

    @property
    def label(self):
        return WARNING_LABELS[self.kind]

    @property
    def url(self) -> str:
        return reverse("grants_admin:application", args=[self.application.pk])


def delivery_warnings(*, today: date | None = None) -> list[DeliveryWarning]:
    """Every warning on projects under way, each naming its project. Six queries whatever the size."""
    today = today or timezone.localdate()
    apps = {
        a.pk: a
        for a in Application.objects.filter(
            status__in=[lifecycle.Status.IN_DELIVERY, lifecycle.Status.REPORTING]
        ).select_related("call", "group", "agreement")
    }
    if not apps:
        return []
    ids = list(apps)
    spent = dict(
        Expense.objects.filter(application_id__in=ids, status__in=CHARGED)
        .values("application")
        .annotate(t=Sum("amount"))
        .values_list("application", "t")
    )
    pending_lines = list(
        BudgetLine.objects.filter(application_id__in=ids, expenses__status=ExpenseStatus.PENDING)
        .distinct()
        .annotate(spent=Sum("expenses__amount", filter=Q(expenses__status__in=CHARGED)))
        .order_by("application_id", "position", "pk")
    )
    last_activity = dict(
        Activity.objects.filter(application_id__in=ids)
        .values("application")
        .annotate(last=Max("held_on"))
        .values_list("application", "last")
    )
    in_play = set(
        ProjectReport.objects.filter(
            application_id__in=ids, status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]
        ).values_list("application", "kind")
    )
    due_tranches = list(
        Tranche.objects.filter(application_id__in=ids)
        .filter(
            Q(status=TrancheStatus.DUE)
            | Q(status=TrancheStatus.PLANNED, trigger=TrancheTrigger.DATE, due_on__lte=today)
        )
        .order_by("application_id", "number")
    )

    from grants.delivery.rules import line_allowance

    out: list[DeliveryWarning] = []
    for line in pending_lines:
        app = apps[line.application_id]
        out.append(
            DeliveryWarning(
                WarningKind.OVERSPENT,
                app,
                _(
                    "“%(line)s”: %(spent)s spent against %(budget)s (up to %(allowance)s without approval); awaiting a staff decision."
                )
                % {
                    "line": line.item,
                    "spent": format_amount(line.spent or ZERO),
                    "budget": format_amount(line.amount),
                    "allowance": format_amount(line_allowance(line, app.call.spending_tolerance)),
                },
                for_group=False,
            )
        )
    for app in apps.values():
        if app.status != lifecycle.Status.IN_DELIVERY:
            continue
        for kind, due_on in ((ReportKind.MIDTERM, app.midterm_due_on), (ReportKind.FINAL, app.final_due_on)):
            if due_on and due_on < today and (app.pk, kind) not in in_play:
                out.append(
                    DeliveryWarning(
                        WarningKind.REPORT_OVERDUE,
                        app,
                        _("%(report)s was due on %(date)s (%(days)s days ago).")
                        % {"report": ReportKind(kind).label, "date": due_on.isoformat(), "days": (today - due_on).days},
                    )
                )
        signed = app.agreement.signed_on if hasattr(app, "agreement") else None
        days = app.call.inactivity_days
        since = last_activity.get(app.pk) or signed
        if days and since and (today - since).days > days:
            out.append(
                DeliveryWarning(
                    WarningKind.INACTIVE,
                    app,
                    _("No activity recorded since %(date)s (%(days)s days; the call expects one every %(limit)s).")
                    % {"date": since.isoformat(), "days": (today - since).days, "limit": days},
                )
            )
        awarded = app.awarded_amount or ZERO
        if signed and app.final_due_on and app.final_due_on > signed and awarded > 0:
            elapsed = Decimal((min(today, app.final_due_on) - signed).days) / Decimal((app.final_due_on - signed).days)
            share = spent.get(app.pk, ZERO) / awarded
            if elapsed >= MIN_ELAPSED and share < elapsed * BEHIND_RATIO:
                out.append(
                    DeliveryWarning(
                        WarningKind.SPEND_BEHIND,
                        app,
                        _("%(spent)s%% of the award spent after %(elapsed)s%% of the project's time.")
                        % {"spent": int(share * 100), "elapsed": int(elapsed * 100)},
                    )
                )
    for tranche in due_tranches:
        app = apps[tranche.application_id]
        out.append(
            DeliveryWarning(
                WarningKind.TRANCHE_DUE,
                app,
                _("Tranche %(n)s, %(amount)s (%(trigger)s), is due and unpaid.")
                % {
                    "n": tranche.number,
                    "amount": format_amount(tranche.amount),
                    "trigger": tranche.get_trigger_display(),
                },
                for_group=False,
            )
        )
    order = list(WARNING_LABELS)
    out.sort(key=lambda w: (order.index(w.kind), w.application.pk))
    return out


def upcoming_reports(*, today: date | None = None, within_days: int = 7) -> list[tuple[Application, str, date]]:
    """Reports falling due in the next `within_days` days that have not been submitted."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=within_days)
    apps = list(
        Application.objects.filter(status=lifecycle.Status.IN_DELIVERY)
        .filter(Q(midterm_due_on__range=(today, horizon)) | Q(final_due_on__range=(today, horizon)))
        .select_related("group")
    )
    in_play = set(
        ProjectReport.objects.filter(
            application__in=apps, status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED]
        ).values_list("application", "kind")
    )
    out = []
    for app in apps:
        for kind, due_on in ((ReportKind.MIDTERM, app.midterm_due_on), (ReportKind.FINAL, app.final_due_on)):
            if due_on and today <= due_on <= horizon and (app.pk, kind) not in in_play:
                out.append((app, kind, due_on))
    return out


def reports_for_trustee(*, user):
    """Reports awaiting evaluation on projects this trustee reviewed (and did not recuse from)."""
    return (
        ProjectReport.objects.filter(
            status=ReportStatus.SUBMITTED,
            application__review_assignments__reviewer=user,
            application__review_assignments__recused=False,
        )
        .select_related("application__group", "application__call")
        .order_by("submitted_at")
    )


def report_for_trustee(*, user, pk) -> ProjectReport:
    try:
        return (
            ProjectReport.objects.filter(
                application__review_assignments__reviewer=user, application__review_assignments__recused=False
            )
            .select_related("application__group", "application__call")
            .prefetch_related("photos")
            .get(pk=pk)
        )
    except (ProjectReport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
