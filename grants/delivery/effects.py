"""What signing does: freeze the agreement, plan the tranches and pay those due on signing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from grants.award.agreement import agreement_terms, terms_hash
from grants.common import GrantsError, acting_user
from grants.models import (
    Agreement,
    Application,
    Tranche,
    TrancheStatus,
)


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
            from grants.delivery.payments import tranche_pay

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
    from grants.signals import agreement_signed

    transaction.on_commit(lambda: agreement_signed.send(sender=Agreement, agreement=agreement))
    return agreement
