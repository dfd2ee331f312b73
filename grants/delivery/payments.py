"""Money paid to a project: tranches falling due and paid (four eyes), the final settlement, money owed back after termination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.errors import FundpoolError
from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Restriction
from fundpool.models import AccountingCategory, RestrictionKind, SourceType
from fundpool.money import ZERO, format_amount, parse_amount
from grants import lifecycle, notify, system_reasons
from grants.common import GrantsError, acting_user
from grants.delivery.services import _charged
from grants.models import (
    Application,
    Recovery,
    RecoveryStatus,
    Tranche,
    TrancheStatus,
    TrancheTrigger,
)


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
        commitments.commitment_disburse(
            reference=tranche.application.reference,
            amount=amount,
            external_ref=payment_reference,
            description=str(tranche),
            actor=acting_user(actor),
            category=AccountingCategory.PROGRAM,  # a grant to a project is a programme activity cost
        )
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    tranche.status, tranche.payment_reference, tranche.paid_at = TrancheStatus.PAID, payment_reference, timezone.now()
    tranche.paid_amount = amount
    tranche.save(update_fields=["status", "payment_reference", "paid_at", "paid_amount"])
    transaction.on_commit(lambda: notify.tranche_paid(tranche))
    return tranche


def recovery_record(*, application: Application, amount: Decimal, reason: str, actor) -> Recovery | None:
    if amount <= 0:
        return None
    recovery = Recovery.objects.create(
        application=application, amount_owed=amount, reason=reason, recorded_by=acting_user(actor)
    )
    transaction.on_commit(lambda: notify.money_owed(recovery))
    return recovery


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
        inflow = ledger_services.inflow_record(
            source_type=SourceType.RECOVERY,
            amount=amount,
            received_on=received_on,
            restriction=restriction,
            external_ref=(reference or "").strip() or None,
            description=system_reasons.encode(
                "grants.returned_by", group=application.group.name, project=application.title
            ),
            actor=acting_user(actor),
        )
    except FundpoolError as exc:
        raise GrantsError(str(exc)) from None
    recovery.received_total += amount
    if recovery.received_total == recovery.amount_owed:
        recovery.status = RecoveryStatus.RECEIVED
    recovery.save(update_fields=["received_total", "status"])
    return inflow
