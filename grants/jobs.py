"""Grants' scheduled jobs (core/jobs.py runs them on their schedules)."""

from __future__ import annotations

from .award.documents import agreement_pdf
from .award.services import notices_close, objection_digest_send
from .conversation.reminders import info_reminders_send, review_reminders_send
from .delivery.reminders import reminders_send
from .models import Agreement


def close_notices() -> str:
    """Confirm the awards whose public notice ended with no open objection, and send the deciders
    one digest of the objections they have not been told of."""
    confirmed = notices_close()
    digest = objection_digest_send()
    return (
        f"{len(confirmed)} award(s) confirmed; {digest.objections.count() if digest else 0} objection(s) in the digest"
    )


def send_reminders() -> str:
    run = reminders_send()
    info = info_reminders_send()
    reviews = review_reminders_send()
    return (
        f"{run.tranches_due} tranche(s) became due, {run.emails} email(s) sent, {run.skipped} already sent today; "
        f"{info.emails} reminder(s) of requested information, {reviews} of reviews"
    )


def freeze_agreement(agreement_id: int) -> str:
    """The agreement's PDF rendered once from its frozen terms and stored, right after signing."""
    agreement_pdf(Agreement.objects.get(pk=agreement_id))
    return f"agreement {agreement_id} frozen"


def freeze_version(version_id: int) -> str:
    """An amended agreement version's PDF rendered once and stored, right after the amendment."""
    from .award.documents import version_pdf
    from .models import AgreementVersion

    version_pdf(AgreementVersion.objects.select_related("agreement").get(pk=version_id))
    return f"agreement version {version_id} frozen"


def build_dossier(dossier_id: int) -> str:
    """An auditor's dossier ZIP of one project (grants/overview/dossier.py)."""
    from .overview.dossier import dossier_run

    dossier = dossier_run(dossier_id)
    return f"dossier {dossier_id}: {dossier.size} bytes"
