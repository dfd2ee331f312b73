"""Corrections, never edits: staff correct a wrongly recorded signing date, payment date, payment
reference, expense amount or evaluation score, always with a reason. Each is a `Correction` that
supersedes the value before it, which stays on record beside it. A payment reference is money in
the ledger: its disbursement is reversed and posted again under the right reference."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from fundpool.errors import FundpoolError
from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.models import JournalEntry
from fundpool.money import format_amount, parse_amount
from grants.common import GrantsError, acting_user
from grants.models import (
    CHARGED,
    Agreement,
    Application,
    Correction,
    CorrectionKind,
    Expense,
    ProjectReport,
    Tranche,
    TrancheStatus,
)


def _date(value) -> date:
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise GrantsError(
            _("“%(value)s” is not a date; write it as 2026-12-31.") % {"value": str(value)[:20]}
        ) from None


@transaction.atomic
def correct(*, application: Application, kind: str, target_id: int, value: str, reason: str, actor) -> Correction:
    if not (actor and actor.has_perm("grants.manage_delivery")):
        raise GrantsError(_("You may not correct records."))
    reason = (reason or "").strip()
    if not reason:
        raise GrantsError(_("Give the reason for the correction; it stays on record."))
    today = timezone.localdate()
    reversal = new_entry = None
    if kind == CorrectionKind.SIGNING_DATE:
        agreement = Agreement.objects.select_for_update().get(application=application)
        new = _date(value)
        problem = application.signing_date_problem(new)
        if problem:
            raise GrantsError(problem)
        before, delta = agreement.signed_on, new - agreement.signed_on
        agreement.signed_on = new
        agreement.save(update_fields=["signed_on"])
        # Report dates and dated tranches still to come were counted from the signing.
        for field in ("midterm_due_on", "final_due_on"):
            current = getattr(application, field)
            if current is not None:
                setattr(application, field, current + delta)
        Application.objects.filter(pk=application.pk).update(
            midterm_due_on=application.midterm_due_on, final_due_on=application.final_due_on
        )
        for tranche in application.tranches.filter(status=TrancheStatus.PLANNED, due_on__isnull=False):
            Tranche.objects.filter(pk=tranche.pk).update(due_on=tranche.due_on + delta)
        target, before_text, after_text = agreement.pk, before.isoformat(), new.isoformat()
    elif kind == CorrectionKind.PAYMENT_DATE:
        tranche = _paid_tranche(application, target_id)
        new = _date(value)
        if new > today:
            raise GrantsError(_("The payment date %(date)s is in the future.") % {"date": new.isoformat()})
        before = timezone.localdate(tranche.paid_at)
        tranche.paid_at = timezone.make_aware(datetime.combine(new, time(12, 0)))
        tranche.save(update_fields=["paid_at"])
        target, before_text, after_text = tranche.pk, before.isoformat(), new.isoformat()
    elif kind == CorrectionKind.PAYMENT_REFERENCE:
        tranche = _paid_tranche(application, target_id)
        new = (value or "").strip()
        if not new or len(new) > 100:
            raise GrantsError(_("Give the payment reference (the bank transfer number)."))
        if Tranche.objects.filter(payment_reference__iexact=new).exclude(pk=tranche.pk).exists() or (
            JournalEntry.objects.filter(external_ref=new).exists()
        ):
            raise GrantsError(_("The payment reference “%(ref)s” is already used by another payment.") % {"ref": new})
        entry = JournalEntry.objects.filter(external_ref=tranche.payment_reference).first()
        try:
            if entry is not None:
                reversal = ledger_services.entry_reverse(entry=entry, reason=reason, actor=acting_user(actor))
                new_entry = commitments.commitment_disburse(
                    reference=application.reference,
                    amount=tranche.paid_amount,
                    external_ref=new,
                    description=str(tranche),
                    actor=acting_user(actor),
                )
        except FundpoolError as exc:
            raise GrantsError(str(exc)) from None
        before_text, after_text = tranche.payment_reference, new
        tranche.payment_reference = new
        tranche.save(update_fields=["payment_reference"])
        target = tranche.pk
    elif kind == CorrectionKind.PAYMENT_CATEGORY:
        tranche = _paid_tranche(application, target_id)
        entry = JournalEntry.objects.filter(external_ref=tranche.payment_reference).first()
        if entry is None:
            raise GrantsError(_("This payment has no ledger entry to correct."))
        before_text = commitments.category_of(entry)
        try:
            commitments.category_correct(
                entry=entry, category=(value or "").strip(), reason=reason, actor=acting_user(actor)
            )
        except FundpoolError as exc:
            raise GrantsError(str(exc)) from None
        after_text, target = value.strip(), tranche.pk
    elif kind == CorrectionKind.EXPENSE_AMOUNT:
        expense = Expense.objects.select_for_update().filter(pk=target_id, application=application).first()
        if expense is None:
            raise GrantsError(_("Choose one of the project's expenses."))
        try:
            new = parse_amount(value)
        except FundpoolError as exc:
            raise GrantsError(str(exc)) from None
        charged = application.expenses.filter(status__in=CHARGED).exclude(pk=expense.pk).aggregate(t=Sum("amount"))["t"]
        if expense.status in CHARGED and (charged or Decimal("0")) + new > application.awarded_amount:
            raise GrantsError(
                _("This would bring spending to %(total)s, more than the %(awarded)s awarded.")
                % {"total": format_amount((charged or 0) + new), "awarded": format_amount(application.awarded_amount)}
            )
        before_text, after_text = str(expense.amount), str(new)
        expense.amount = new
        expense.save(update_fields=["amount"])
        target = expense.pk
    elif kind == CorrectionKind.EVALUATION_SCORE:
        report = ProjectReport.objects.select_for_update().filter(pk=target_id, application=application).first()
        if report is None or report.score is None:
            raise GrantsError(_("Choose one of the project's evaluated reports."))
        try:
            new = Decimal(str(value).strip())
        except ArithmeticError:
            raise GrantsError(_("The score is a number from 0 to 100.")) from None
        if not new.is_finite() or not (0 <= new <= 100) or new != new.quantize(Decimal("0.01")):
            raise GrantsError(_("The score is a number from 0 to 100."))
        before_text, after_text = str(report.score), str(new)
        report.score = new
        report.save(update_fields=["score"])
        target = report.pk
    else:
        raise GrantsError(_("Choose what to correct."))
    if before_text == after_text:
        raise GrantsError(_("That is the value already recorded."))
    correction = Correction.objects.create(
        application=application,
        kind=kind,
        target_id=target,
        before=before_text[:200],
        after=after_text[:200],
        reason=reason[:4000],
        by=acting_user(actor),
        reversal=reversal,
        new_entry=new_entry,
    )
    audit.record(
        application, "grants.correction", by=actor, kind=kind, before=before_text, after=after_text, reason=reason
    )
    return correction


def _paid_tranche(application: Application, target_id) -> Tranche:
    tranche = (
        Tranche.objects.select_for_update()
        .filter(pk=target_id, application=application, status=TrancheStatus.PAID)
        .first()
    )
    if tranche is None:
        raise GrantsError(_("Choose one of the project's paid tranches."))
    return tranche
