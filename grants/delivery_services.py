"""Writes for delivery and reporting: activities and photos, expenses against budget lines, residents'
feedback, mid-term and final reports and their evaluation, tranches, recoveries and reminders.

Each service is one transaction, keyword-only, and raises `GrantsError` with a message for the person
who asked; then nothing is written. Lifecycle steps (final report submitted, returned, accepted;
termination) go through `services.application_transition`."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.uploads import UploadRefused, accept_upload, check_upload, reencode_image
from fundpool import services as fund
from fundpool.errors import FundpoolError
from fundpool.ledger import Restriction
from fundpool.models import RestrictionKind, SourceType
from fundpool.money import format_amount, parse_amount

from . import lifecycle, system_reasons
from .models import (
    Activity,
    Application,
    BudgetLine,
    Expense,
    ExpenseStatus,
    Feedback,
    FeedbackStatus,
    Outcome,
    ProjectPhoto,
    ProjectReport,
    Recovery,
    RecoveryStatus,
    ReportKind,
    ReportStatus,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
)
from .models.delivery import CHARGED
from .services import GrantsError, _actor, _member_of, application_transition

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
    if not _member_of(application.group, user):
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


# --- photos ----------------------------------------------------------------------------------


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
            uploaded_by=_actor(user),
        )
        for content, width, height in prepared
    ]


# --- activities --------------------------------------------------------------------------------


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
        recorded_by=_actor(user),
    )
    _add_photos(application=application, photos=photos, user=user, activity=activity)
    return activity


# --- expenses ----------------------------------------------------------------------------------


def line_allowance(line: BudgetLine, tolerance: Decimal) -> Decimal:
    """What a line may take without staff approval: its amount plus the call's tolerance."""
    return (line.amount * (1 + tolerance / 100)).quantize(Decimal("0.01"))


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
        recorded_by=_actor(user),
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
    expense.decision_note, expense.decided_by, expense.decided_at = note, _actor(actor), timezone.now()
    expense.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    audit.record(expense, "grants.expense_decide", by=actor, outcome=expense.status, amount=expense.amount, note=note)
    return expense


# --- reports -----------------------------------------------------------------------------------


def spend_summary(application: Application) -> dict:
    """Budget against spending per line, as stored in a report when it is submitted."""
    from .delivery_selectors import budget_vs_actual

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


def midterm_required(application: Application) -> bool:
    return (
        application.midterm_due_on is not None or application.tranches.filter(trigger=TrancheTrigger.MIDTERM).exists()
    )


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
            submitted_by=_actor(user),
        )
    except IntegrityError:
        raise GrantsError(_("This report has just been submitted.")) from None
    _add_photos(application=application, photos=photos, user=user, report=report)
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
    report.evaluated_by, report.evaluated_at = _actor(actor), timezone.now()
    report.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
    report.save(update_fields=["score", "evaluation", "evaluated_by", "evaluated_at", "status"])
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
            from .signals import outcome_recorded

            transaction.on_commit(lambda: outcome_recorded.send(sender=Outcome, outcome=outcome))
    audit.record(report, "grants.report_evaluate", by=actor, report=report.kind, accepted=accept, score=score)
    return report


# --- tranches ----------------------------------------------------------------------------------


@dataclass
class Settlement:
    spent: Decimal
    paid: Decimal
    paid_now: Decimal
    owed_back: Decimal


def settle_final(application: Application, user) -> Settlement:
    """At the accepted final report: pay what the group spent beyond what it was paid, from the
    remaining tranches in order, up to each one's amount; cancel what is not needed (the commitment's
    rest is then released by the lifecycle step); record money owed back if more was paid than spent."""
    spent = _charged(application.expenses.all())
    paid = application.tranches.filter(status=TrancheStatus.PAID).aggregate(total=Sum("paid_amount"))["total"] or ZERO
    need = max(spent - paid, ZERO)
    paid_now = ZERO
    for tranche in application.tranches.filter(status__in=[TrancheStatus.PLANNED, TrancheStatus.DUE]).order_by(
        "number"
    ):
        part = min(tranche.amount, need)
        if part > 0:
            Tranche.objects.filter(pk=tranche.pk).update(status=TrancheStatus.DUE)
            tranche_pay(
                tranche=tranche,
                actor=user,
                payment_reference=f"{application.reference}:tranche:{tranche.number}",
                amount=part,
                system=True,
            )
            need -= part
            paid_now += part
        else:
            Tranche.objects.filter(pk=tranche.pk).update(status=TrancheStatus.CANCELLED)
    owed = max(paid - spent, ZERO)
    if owed > 0:
        recovery_record(
            application=application, amount=owed, reason=system_reasons.encode("grants.overpaid"), actor=user
        )
    return Settlement(spent=spent, paid=paid, paid_now=paid_now, owed_back=owed)


def tranches_mark_due(*, today: date | None = None) -> int:
    """Tranches paid on a date become due on that date (run by `send_reminders`)."""
    today = today or timezone.localdate()
    return Tranche.objects.filter(
        trigger=TrancheTrigger.DATE,
        status=TrancheStatus.PLANNED,
        due_on__lte=today,
        application__status__in=[lifecycle.Status.IN_DELIVERY, lifecycle.Status.REPORTING],
    ).update(status=TrancheStatus.DUE)


def _locked_message(tranche: Tranche) -> str:
    if tranche.trigger == TrancheTrigger.DATE and tranche.due_on:
        return _("This tranche is paid on %(date)s; it cannot be paid before.") % {"date": tranche.due_on.isoformat()}
    return _("This tranche is paid when: %(trigger)s. That has not happened yet.") % {
        "trigger": tranche.get_trigger_display()
    }


@transaction.atomic
def tranche_pay(*, tranche: Tranche, actor, payment_reference: str, amount=None, system: bool = False) -> Tranche:
    """Finance pays a due tranche from the award's commitment, through the fund pool's
    disbursement. A tranche whose trigger has not happened is locked; a payment reference is used
    once. `system` payments (on signing, at the accepted final report) need no finance role, but
    the person whose step makes them is still bound by four eyes: nobody pays a tranche that
    follows from their own award proposal or over-tolerance approval (docs/delivery.md)."""
    if not system and not (actor and actor.has_perm("grants.pay_tranche")):
        raise GrantsError(_("Only finance may pay tranches."))
    tranche = Tranche.objects.select_for_update(of=("self",)).select_related("application").get(pk=tranche.pk)
    conflict = tranche.application.payment_conflict(actor)
    if conflict:
        raise GrantsError(conflict)
    if tranche.status == TrancheStatus.PLANNED and tranche.trigger == TrancheTrigger.DATE:
        if tranche.due_on and tranche.due_on <= timezone.localdate():
            tranche.status = TrancheStatus.DUE
    if tranche.status == TrancheStatus.PAID:
        raise GrantsError(_("This tranche has already been paid."))
    if tranche.status == TrancheStatus.CANCELLED:
        raise GrantsError(_("This tranche was cancelled."))
    if tranche.status != TrancheStatus.DUE:
        raise GrantsError(_locked_message(tranche))
    if not system and tranche.application.status not in (lifecycle.Status.IN_DELIVERY, lifecycle.Status.REPORTING):
        raise GrantsError(_("Tranches are paid only while the project is under way."))
    payment_reference = (payment_reference or "").strip()
    if not payment_reference:
        raise GrantsError(_("Give the payment reference (the bank transfer number)."))
    if len(payment_reference) > 100:
        raise GrantsError(_("The payment reference is at most 100 characters."))
    # Bank references are compared without regard to case: "bank-001" is the payment "BANK-001" again.
    if Tranche.objects.filter(payment_reference__iexact=payment_reference).exists():
        raise GrantsError(
            _("The payment reference “%(ref)s” is already used by another payment.") % {"ref": payment_reference}
        )
    amount = tranche.amount if amount is None else amount
    try:
        fund.commitment_disburse(
            reference=tranche.application.reference,
            amount=amount,
            external_ref=payment_reference,
            description=str(tranche),
            actor=_actor(actor),
        )
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    tranche.status, tranche.payment_reference, tranche.paid_at = TrancheStatus.PAID, payment_reference, timezone.now()
    tranche.paid_amount = amount
    tranche.save(update_fields=["status", "payment_reference", "paid_at", "paid_amount"])
    return tranche


# --- termination and recovery -------------------------------------------------------------------


def recovery_record(*, application: Application, amount: Decimal, reason: str, actor) -> Recovery | None:
    if amount <= 0:
        return None
    return Recovery.objects.create(
        application=application, amount_owed=amount, reason=reason, recorded_by=_actor(actor)
    )


def termination_recovery(application: Application, actor, reason: str, amount=None) -> Recovery | None:
    """After a termination: the group owes back what it was paid and did not spend on the grant,
    unless staff set the amount (e.g. after an audit)."""
    if amount not in (None, ""):
        try:
            owed = parse_amount(amount, allow_zero=True)
        except FundpoolError as exc:
            raise GrantsError(str(exc)) from None
    else:
        paid = application.tranches.filter(status=TrancheStatus.PAID).aggregate(t=Sum("paid_amount"))["t"] or ZERO
        owed = max(paid - _charged(application.expenses.all()), ZERO)
    paid_total = application.tranches.filter(status=TrancheStatus.PAID).aggregate(t=Sum("paid_amount"))["t"] or ZERO
    if owed > paid_total:
        raise GrantsError(
            _("The group was paid %(paid)s; it cannot owe back more.") % {"paid": format_amount(paid_total)}
        )
    return recovery_record(application=application, amount=owed, reason=reason, actor=actor)


@transaction.atomic
def recovery_receive(*, recovery: Recovery, actor, amount, received_on: date | None, reference: str):
    """Money paid back arrives: book it as an inflow to the pool (source “grant money returned”),
    restricted to the project's theme when it had one."""
    if not actor.has_perm("fundpool.add_inflow"):
        raise GrantsError(_("You may not record money received."))
    recovery = (
        Recovery.objects.select_for_update(of=("self",))
        .select_related("application__group", "application__problem__theme")
        .get(pk=recovery.pk)
    )
    if recovery.status == RecoveryStatus.RECEIVED:
        raise GrantsError(_("This money has already been paid back in full."))
    try:
        amount = parse_amount(amount)
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    if amount > recovery.outstanding:
        raise GrantsError(_("Only %(left)s is still owed.") % {"left": format_amount(recovery.outstanding)})
    application = recovery.application
    theme = application.problem.theme if application.problem_id else None
    restriction = Restriction(kind=RestrictionKind.THEME, theme=theme) if theme else Restriction()
    try:
        inflow = fund.inflow_record(
            source_type=SourceType.RECOVERY,
            amount=amount,
            received_on=received_on,
            restriction=restriction,
            external_ref=(reference or "").strip() or None,
            description=system_reasons.encode(
                "grants.returned_by", group=application.group.name, project=application.title
            ),
            actor=_actor(actor),
        )
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    recovery.received_total += amount
    if recovery.received_total == recovery.amount_owed:
        recovery.status = RecoveryStatus.RECEIVED
    recovery.save(update_fields=["received_total", "status"])
    return inflow


# --- residents' feedback -------------------------------------------------------------------------

FEEDBACK_STATES = [lifecycle.Status.IN_DELIVERY, lifecycle.Status.REPORTING, lifecycle.Status.COMPLETED]


def feedback_source(address: str) -> str:
    """A keyed hash of the sender's address: enough to tell one sender's ratings apart, useless to
    identify anyone. (The rate limit is the view's: fundpool/ratelimit.py.)"""
    return hmac.new(settings.SECRET_KEY.encode(), (address or "").encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def feedback_submit(*, application: Application, rating, comment: str, source: str) -> Feedback:
    if application.status not in FEEDBACK_STATES:
        raise GrantsError(_("This project is not taking feedback."))
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise GrantsError(_("Choose a rating from 1 to 5 stars."))
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise GrantsError(_("A comment is at most 500 characters."))
    return Feedback.objects.create(application=application, rating=rating, comment=comment, source=source)


@transaction.atomic
def feedback_moderate(*, feedback: Feedback, actor, approve: bool) -> Feedback:
    if not actor.has_perm("grants.manage_delivery"):
        raise GrantsError(_("You may not moderate feedback."))
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    feedback.status = FeedbackStatus.APPROVED if approve else FeedbackStatus.HIDDEN
    feedback.moderated_by, feedback.moderated_at = _actor(actor), timezone.now()
    feedback.save(update_fields=["status", "moderated_by", "moderated_at"])
    audit.record(feedback, "grants.feedback_moderate", by=actor, outcome=feedback.status)
    return feedback


# --- reminders ---------------------------------------------------------------------------------


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
    from . import notify
    from .delivery_selectors import WarningKind, delivery_warnings, upcoming_reports
    from .models import ReminderSent

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
