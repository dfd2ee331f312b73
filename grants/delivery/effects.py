"""The effects of the lifecycle table (grants/lifecycle/steps.py) that the delivery stage owns:
signing (the agreement frozen, its tranches planned, those due on signing paid, report dates set),
the final settlement, and winding up a terminated project. Registered with the runner by name."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import jobs
from core.uploads import UploadRefused, accept_upload
from grants.award.agreement import agreement_terms, terms_hash
from grants.award.versions import version_add
from grants.common import GrantsError, acting_user
from grants.delivery.payments import settle_final, termination_recovery, tranche_pay
from grants.lifecycle import Effect
from grants.models import Agreement, Application, Tranche, TrancheStatus
from grants.transitions import effect


@effect(Effect.SIGN)
def sign(application: Application, *, user, reason: str, params: dict) -> None:
    _make_agreement(application, user, params.get("conditions", ""), params.get("signed_on"), params)


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


def _signature(application: Application, params: dict, conditions: str):
    """How the signature was given: the signed paper's scan (judged by its bytes: a PDF or an image),
    or the leader's confirmation in the site of exactly these terms. Neither, when the step is
    taken without (tests, the demo, agreements recorded before this existed)."""
    scan = params.get("scan")
    if scan:
        try:
            stored, content_type = accept_upload(scan)
        except UploadRefused as exc:
            raise GrantsError(_("The signed scan: %(problem)s") % {"problem": exc}) from None
        if content_type not in ("application/pdf", "image/jpeg", "image/png"):
            raise GrantsError(_("The signed scan must be a PDF or a photo (JPEG or PNG)."))
        return None, stored, content_type
    if params.get("method") == "consent":
        draft = agreement_terms(application, conditions)
        consent = application.agreement_consents.order_by("-confirmed_at", "-pk").first()
        if consent is None:
            raise GrantsError(_("The group's leader has not confirmed the agreement in the site yet."))
        if consent.terms_hash != terms_hash(draft):
            raise GrantsError(
                _(
                    "The leader confirmed different terms (the draft has changed since, e.g. its conditions): "
                    "ask them to confirm again."
                )
            )
        return consent, None, ""
    return None, None, ""


def _make_agreement(application: Application, user, conditions: str, signed_on, params=None) -> Agreement:
    """Freeze the terms, plan the tranches and pay those due on signing, through the fund pool."""
    params = params or {}
    signed_on = signed_on or timezone.localdate()
    problem = application.signing_date_problem(signed_on)
    if problem:
        raise GrantsError(problem)
    terms = agreement_terms(application, conditions or "", signed_on=signed_on)
    consent, scan, scan_type = _signature(application, params, conditions or "")
    agreement = Agreement.objects.create(
        application=application,
        number=f"XY-{signed_on.year}-{application.pk:05d}",
        terms=terms,
        content_hash=terms_hash(terms),
        signed_on=signed_on,
        recorded_by=acting_user(user),
        consent=consent,
        scan=scan,
        scan_content_type=scan_type,
    )
    version_add(agreement, terms)
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
