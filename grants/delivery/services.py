"""Delivery, as the group records it: activities with photos, expenses with receipts against budget lines, reports; staff decide expenses and evaluate reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.uploads import UploadRefused, accept_upload, check_upload, reencode_image
from fundpool.errors import FundpoolError
from fundpool.money import format_amount, parse_amount
from grants import lifecycle, notify, system_reasons
from grants.common import GrantsError, acting_user, is_member_of
from grants.delivery.rules import line_allowance, midterm_required
from grants.models import (
    CHARGED,
    Activity,
    Application,
    BudgetLine,
    Expense,
    ExpenseStatus,
    Outcome,
    ProjectPhoto,
    ProjectReport,
    ReportKind,
    ReportStatus,
    TrancheStatus,
    TrancheTrigger,
)
from grants.transitions import application_transition

ZERO = Decimal("0.00")


MAX_PHOTOS = 6


MAX_PHOTO_BYTES = 12 * 1024 * 1024


PHOTO_EDGE = 1600


MAX_RECEIPT_BYTES = 5 * 1024 * 1024


RECEIPT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


# Where a group records its work: after signing, until the final report is submitted.
RECORDING = [lifecycle.Status.IN_DELIVERY]


def _project_for_member(application: Application, user) -> Application:
    """The application, locked, if `user` is in its group and the project is under way."""
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("call", "group").get(pk=application.pk)
    )
    if not is_member_of(application.group, user):
        raise GrantsError(_("Only members of the group can record its project."))
    problem = recording_problem(application)
    if problem:
        raise GrantsError(problem)
    return application


def recording_problem(application: Application) -> str:
    """Why activities and expenses cannot be recorded on this project now, or "" when they can:
    the pages ask before showing a form, the services again before writing."""
    if application.status not in RECORDING:
        return _(
            "The project is “%(status)s”; activities, expenses and reports are recorded while it is under way."
        ) % {"status": application.applicant_status}
    return ""


def _check_date(day: date | None, *, label, application: Application) -> date:
    if day is None:
        raise GrantsError(_("Give the date of the %(what)s.") % {"what": label})
    if day > timezone.localdate():
        raise GrantsError(_("The date of the %(what)s cannot be in the future.") % {"what": label})
    agreement = getattr(application, "agreement", None)
    if agreement is not None and day < agreement.signed_on:
        raise GrantsError(
            _("The %(what)s is dated before the agreement was signed (%(signed)s).")
            % {"what": label, "signed": agreement.signed_on.isoformat()}
        )
    return day


def _count(value, *, label) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise GrantsError(_("%(what)s must be a whole number.") % {"what": label}) from None
    if number < 0:
        raise GrantsError(_("%(what)s cannot be negative.") % {"what": label})
    if number > 1_000_000:
        raise GrantsError(_("%(what)s is too large.") % {"what": label})
    return number


def _text(value: str, *, limit: int) -> str:
    return (value or "").strip()[:limit]


def photo_prepare(file) -> tuple[ContentFile, int, int]:
    """Re-encode an uploaded photo as a JPEG of at most PHOTO_EDGE pixels a side, turned the way the
    camera meant, with no EXIF or other metadata (so no location or device leaks); the one
    re-encoder of core/uploads.py, with its limit on pixels."""
    try:
        content_type = check_upload(file, max_bytes=MAX_PHOTO_BYTES)
    except UploadRefused as exc:
        if file is not None and 0 < file.size <= MAX_PHOTO_BYTES:
            raise GrantsError(_("A photo must be a JPEG or PNG image.")) from None
        raise GrantsError(str(exc)) from None
    if content_type not in ("image/jpeg", "image/png"):
        raise GrantsError(_("A photo must be a JPEG or PNG image."))
    try:
        content = reencode_image(
            file,
            content_type,
            as_jpeg=True,
            max_edge=PHOTO_EDGE,
            quality=85,
            unreadable=_("This photo could not be read; take it again or choose another."),
        )
    except UploadRefused as exc:
        raise GrantsError(str(exc)) from None
    content.name = "photo.jpg"
    width, height = content.image_size
    return content, width, height


def _add_photos(*, application: Application, photos, user, activity=None, report=None) -> list[ProjectPhoto]:
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        raise GrantsError(_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS})
    prepared = [photo_prepare(p) for p in photos]
    return [
        ProjectPhoto.objects.create(
            application=application,
            activity=activity,
            report=report,
            image=content,
            width=width,
            height=height,
            uploaded_by=acting_user(user),
        )
        for content, width, height in prepared
    ]


@transaction.atomic
def activity_record(
    *,
    application: Application,
    user,
    held_on: date | None,
    title: str,
    description: str,
    participants,
    beneficiaries_reached,
    photos=None,
) -> Activity:
    application = _project_for_member(application, user)
    title = _text(title, limit=120)
    if not title:
        raise GrantsError(_("Give the activity a title."))
    activity = Activity.objects.create(
        application=application,
        held_on=_check_date(held_on, label=_("activity"), application=application),
        title=title,
        description=_text(description, limit=4000),
        participants=_count(participants, label=_("Participants")),
        beneficiaries_reached=_count(beneficiaries_reached, label=_("Beneficiaries reached")),
        recorded_by=acting_user(user),
    )
    _add_photos(application=application, photos=photos, user=user, activity=activity)
    return activity


def _charged(queryset) -> Decimal:
    return queryset.filter(status__in=CHARGED).aggregate(total=Sum("amount"))["total"] or ZERO


@transaction.atomic
def expense_record(
    *,
    application: Application,
    user,
    budget_line: BudgetLine | None,
    amount,
    spent_on: date | None,
    payee: str,
    receipt,
    description: str = "",
    over_tolerance_reason: str = "",
) -> Expense:
    """Record money spent against a budget line, with its receipt. Within the call's tolerance it is
    simply recorded; beyond it, only with a reason, and it then awaits staff approval."""
    application = _project_for_member(application, user)
    if budget_line is None or budget_line.application_id != application.pk:
        raise GrantsError(_("Choose one of the project's budget lines."))
    try:
        amount = parse_amount(amount)
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    spent_on = _check_date(spent_on, label=_("expense"), application=application)
    payee = _text(payee, limit=100)
    if not payee:
        raise GrantsError(_("Say who was paid."))
    try:
        receipt, content_type = accept_upload(receipt, max_bytes=MAX_RECEIPT_BYTES)
    except UploadRefused as exc:
        raise GrantsError(str(exc)) from None
    if content_type not in RECEIPT_TYPES:
        raise GrantsError(_("A receipt must be a PDF, JPEG or PNG file."))

    awarded = application.awarded_amount or ZERO
    spent = _charged(application.expenses.all())
    if spent + amount > awarded:
        raise GrantsError(
            _("This would bring spending to %(total)s, more than the %(awarded)s awarded.")
            % {"total": format_amount(spent + amount), "awarded": format_amount(awarded)}
        )
    line_spent = _charged(budget_line.expenses.all())
    allowance = line_allowance(budget_line, application.call.spending_tolerance)
    reason = _text(over_tolerance_reason, limit=2000)
    status = ExpenseStatus.RECORDED
    if line_spent + amount > allowance:
        if not reason:
            raise GrantsError(
                _(
                    "“%(line)s” has a budget of %(budget)s and may go up to %(allowance)s (%(tolerance)s%% "
                    "tolerance); with this expense it would reach %(total)s. Say why the line needs more and "
                    "staff will decide."
                )
                % {
                    "line": budget_line.item,
                    "budget": format_amount(budget_line.amount),
                    "allowance": format_amount(allowance),
                    "tolerance": f"{application.call.spending_tolerance.normalize():f}",
                    "total": format_amount(line_spent + amount),
                }
            )
        status = ExpenseStatus.PENDING
    return Expense.objects.create(
        application=application,
        budget_line=budget_line,
        amount=amount,
        spent_on=spent_on,
        payee=payee,
        description=_text(description, limit=200),
        receipt=receipt,
        receipt_content_type=content_type,
        status=status,
        over_tolerance_reason=reason if status == ExpenseStatus.PENDING else "",
        recorded_by=acting_user(user),
    )


@transaction.atomic
def expense_decide(*, expense: Expense, actor, approve: bool, note: str = "") -> Expense:
    """Staff approve spending beyond a line's tolerance, or reject it (then it is not charged to the
    grant: the group covers it from its own money)."""
    if not actor.has_perm("grants.manage_delivery"):
        raise GrantsError(_("You may not decide on expenses."))
    expense = Expense.objects.select_for_update().get(pk=expense.pk)
    if expense.status != ExpenseStatus.PENDING:
        raise GrantsError(_("This expense is not awaiting a decision."))
    note = _text(note, limit=2000)
    if not approve and not note:
        raise GrantsError(_("Say why the expense is rejected; the group will see it."))
    expense.status = ExpenseStatus.APPROVED if approve else ExpenseStatus.REJECTED
    expense.decision_note, expense.decided_by, expense.decided_at = note, acting_user(actor), timezone.now()
    expense.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    audit.record(expense, "grants.expense_decide", by=actor, outcome=expense.status, amount=expense.amount, note=note)
    transaction.on_commit(lambda: notify.expense_decided(expense))
    return expense


def spend_summary(application: Application) -> dict:
    """Budget against spending per line, as stored in a report when it is submitted."""
    from grants.delivery.selectors import budget_vs_actual

    table = budget_vs_actual(application=application)
    return {
        "lines": [
            {
                "item": r.line.item,
                "category": r.line.get_category_display(),
                "budget": str(r.budget),
                "spent": str(r.spent),
            }
            for r in table.rows
        ],
        "budget": str(table.budget),
        "spent": str(table.spent),
        "awarded": str(application.awarded_amount or ZERO),
    }


def report_problem(*, application: Application, kind: str) -> str | None:
    """Why this report cannot be submitted now, or None."""
    if kind not in ReportKind.values:
        return _("Unknown report.")
    if application.status not in RECORDING:
        return _(
            "The project is “%(status)s”; activities, expenses and reports are recorded while it is under way."
        ) % {"status": application.applicant_status}
    in_play = application.reports.filter(kind=kind, status__in=[ReportStatus.SUBMITTED, ReportStatus.ACCEPTED])
    if in_play.exists():
        return _("The %(report)s has already been submitted; it can be sent again only if staff return it.") % {
            "report": ReportKind(kind).label
        }
    if kind == ReportKind.FINAL:
        if (
            midterm_required(application)
            and not application.reports.filter(kind=ReportKind.MIDTERM, status=ReportStatus.ACCEPTED).exists()
        ):
            return _("The mid-term report must be accepted before the final report.")
        if application.expenses.filter(status=ExpenseStatus.PENDING).exists():
            return _("Some expenses await staff approval; the final report can follow their decision.")
    return None


@transaction.atomic
def report_submit(
    *,
    application: Application,
    user,
    kind: str,
    outcomes: str,
    beneficiaries_reached,
    story: str = "",
    lessons: str = "",
    photos=None,
) -> ProjectReport:
    application = _project_for_member(application, user)
    problem = report_problem(application=application, kind=kind)
    if problem:
        raise GrantsError(problem)
    outcomes = _text(outcomes, limit=6000)
    if not outcomes:
        raise GrantsError(_("Describe the outcomes against the plan."))
    try:
        report = ProjectReport.objects.create(
            application=application,
            kind=kind,
            outcomes=outcomes,
            beneficiaries_reached=_count(beneficiaries_reached, label=_("Beneficiaries reached")),
            story=_text(story, limit=6000),
            lessons=_text(lessons, limit=4000),
            spend_summary=spend_summary(application),
            submitted_by=acting_user(user),
        )
    except IntegrityError:
        raise GrantsError(_("This report has just been submitted.")) from None
    _add_photos(application=application, photos=photos, user=user, report=report)
    transaction.on_commit(lambda: notify.submitted_to_staff(application, what="report"))
    if kind == ReportKind.FINAL:
        application_transition(application=application, name="submit_final_report", user=user)
    return report


def may_evaluate(user, application: Application) -> bool:
    """Staff with the permission, or a trustee who reviewed this project without recusing."""
    if not (user and user.is_authenticated):
        return False
    return (
        user.has_perm("grants.evaluate_report")
        or application.review_assignments.filter(reviewer=user, recused=False).exists()
    )


@transaction.atomic
def report_evaluate(*, report: ProjectReport, actor, score, comment: str, accept: bool) -> ProjectReport:
    """Evaluate a report (成效评估). Accepting the mid-term report makes its tranche due; accepting
    the final report completes the project (see `settle_final`); returning sends it back."""
    report = ProjectReport.objects.select_for_update(of=("self",)).select_related("application").get(pk=report.pk)
    if not may_evaluate(actor, report.application):
        raise GrantsError(_("You may not evaluate reports."))
    if report.status != ReportStatus.SUBMITTED:
        raise GrantsError(_("This report is not awaiting evaluation."))
    try:
        score = Decimal(str(score).strip())
    except ArithmeticError:
        raise GrantsError(_("The score is a number from 0 to 100.")) from None
    if not score.is_finite() or not (0 <= score <= 100) or score != score.quantize(Decimal("0.01")):
        raise GrantsError(_("The score is a number from 0 to 100."))
    comment = _text(comment, limit=4000)
    if not accept and not comment:
        raise GrantsError(_("Say what the group should change; they will see it."))
    report.score, report.evaluation = score, comment
    report.evaluated_by, report.evaluated_at = acting_user(actor), timezone.now()
    report.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
    report.save(update_fields=["score", "evaluation", "evaluated_by", "evaluated_at", "status"])
    transaction.on_commit(lambda: notify.report_evaluated(report))
    application = report.application
    if report.kind == ReportKind.MIDTERM and accept:
        application.tranches.filter(trigger=TrancheTrigger.MIDTERM, status=TrancheStatus.PLANNED).update(
            status=TrancheStatus.DUE
        )
    elif report.kind == ReportKind.FINAL:
        name = "accept_report" if accept else "return_report"
        application_transition(
            application=application,
            name=name,
            user=actor,
            reason=comment or system_reasons.encode("grants.final_report_accepted"),
            evaluated=True,
        )
        if accept:
            outcome = Outcome.objects.create(
                application=application,
                final_report=report,
                title=application.title,
                summary=report.outcomes,
                beneficiaries_reached=report.beneficiaries_reached,
            )
            from grants.signals import outcome_recorded

            transaction.on_commit(lambda: outcome_recorded.send(sender=Outcome, outcome=outcome))
    audit.record(report, "grants.report_evaluate", by=actor, report=report.kind, accepted=accept, score=score)
    return report
