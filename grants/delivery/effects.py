"""The effects of the lifecycle table (grants/lifecycle/steps.py) that the delivery stage owns:
signing (the agreement frozen, its tranches planned, those due on signing paid, report dates set),
the final settlement, and winding up a terminated project. Registered with the runner by name."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core import jobs
from grants.award.agreement import agreement_terms, terms_hash
from grants.common import GrantsError, acting_user
from grants.delivery.payments import settle_final, termination_recovery, tranche_pay
from grants.lifecycle import Effect
from grants.models import Agreement, Application, Tranche, TrancheStatus
from grants.transitions import effect


@effect(Effect.SIGN)
def sign(application: Application, *, user, reason: str, params: dict) -> None:
    _make_agreement(application, user, params.get("conditions", ""), params.get("signed_on"))


@effect(Effect.SETTLE)
def settle(application: Application, *, user, reason: str, params: dict) -> None:
    """What the group spent is paid from the remaining tranches; the rest of the commitment goes
    back to the pool (the RELEASE effect), and money paid beyond the spending is owed back."""
    settle_final(application, user)


@effect(Effect.CANCEL_TRANCHES)
def cancel_tranches(application: Application, *, user, reason: str, params: dict) -> None:
    application.tranches.filter(status__in=[TrancheStatus.PLANNED, TrancheStatus.DUE]).update(
        status=TrancheStatus.CANCELLED
    )


@effect(Effect.RECORD_RECOVERY)
def record_recovery(application: Application, *, user, reason: str, params: dict) -> None:
    termination_recovery(application, user, reason, params.get("recovery_amount"))


def _make_agreement(application: Application, user, conditions: str, signed_on) -> Agreement:
    """Freeze the terms, plan the tranches and pay those due on signing, through the fund pool."""
    signed_on = signed_on or timezone.localdate()
    problem = application.signing_date_problem(signed_on)
    if problem:
        raise GrantsError(problem)
    terms = agreement_terms(application, conditions or "")
    agreement = Agreement.objects.create(
        application=application,
        number=f"XY-{signed_on.year}-{application.pk:05d}",
        terms=terms,
        content_hash=terms_hash(terms),
        signed_on=signed_on,
        recorded_by=acting_user(user),
    )
    for t in terms["tranches"]:
        tranche = Tranche.objects.create(
            application=application,
            number=t["number"],
            share=Decimal(t["share"]),
            amount=Decimal(t["amount"]),
            trigger=t["trigger"],
            due_on=signed_on + timedelta(days=t["due_after_days"])
            if t["trigger"] == "date" and t["due_after_days"] is not None
            else None,
            status=TrancheStatus.DUE if t["trigger"] == "signing" else TrancheStatus.PLANNED,
        )
        if tranche.status == TrancheStatus.DUE:
            tranche_pay(
                tranche=tranche,
                actor=user,
                payment_reference=f"{application.reference}:tranche:{tranche.number}",
                system=True,
            )
    # Reports fall due counted from the signing.
    call = application.call
    application.midterm_due_on = (
        signed_on + timedelta(days=call.midterm_report_days) if call.midterm_report_days else None
    )
    application.final_due_on = signed_on + timedelta(days=call.final_report_days)
    Application.objects.filter(pk=application.pk).update(
        midterm_due_on=application.midterm_due_on, final_due_on=application.final_due_on
    )
    # Rendered by a documents worker once the signing commits (grants/jobs.py).
    transaction.on_commit(lambda: jobs.enqueue("grants.jobs.freeze_agreement", agreement.pk, kind="documents"))
    return agreement
