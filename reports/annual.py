"""The annual fund report, generated in the background with its progress: money received by source
type (with charts), grants by theme and community, outcomes, and the ledger's totals with the result
of `ledger_verify` (so the report's figures are the audited ones)."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import charts, jobs
from core.pdf import render_pdf

from .models import DocumentJob, JobStatus

logger = logging.getLogger(__name__)


def annual_report_request(*, year: int, actor) -> DocumentJob:
    if not actor.has_perm("reports.generate_annual_report"):
        raise PermissionError
    job = DocumentJob.objects.create(year=year, requested_by=actor if actor.is_authenticated else None)
    # Queued with the row (the broker is this database): the job runs once the request commits.
    jobs.enqueue("reports.jobs.generate_annual_report", job.pk, kind="documents")
    return job


def run_queued_jobs() -> int:
    """The schedule's safety net (reports/jobs.py): mark jobs cut off long ago as failed, then
    generate the oldest queued document no job took, if any. Returns how many were generated (0 or 1)."""
    cutoff = timezone.now() - timedelta(seconds=settings.DOCUMENT_JOB_TIMEOUT)
    with translation.override(settings.LANGUAGE_CODE):  # staff read it in the site's language
        interrupted = _("Generation was interrupted; please request it again.")
    cut_off = Q(started_at__lt=cutoff) | Q(started_at__isnull=True, created_at__lt=cutoff)  # or from before 0002
    DocumentJob.objects.filter(cut_off, status=JobStatus.RUNNING).update(status=JobStatus.FAILED, error=interrupted)
    for job_id in (
        DocumentJob.objects.filter(status=JobStatus.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:5]
    ):
        if _take(job_id):  # else another worker has it
            _generate(DocumentJob.objects.get(pk=job_id))
            return 1
    return 0


def _progress(job: DocumentJob, value: int) -> None:
    DocumentJob.objects.filter(pk=job.pk).update(progress=value)


def annual_context(year: int, step=lambda p: None) -> dict:
    from fundpool.ledger.selectors import pool_summary
    from fundpool.ledger.verify import verify
    from fundpool.models import Inflow, SourceType
    from fundpool.money import format_amount
    from grants.models import Application, Outcome
    from grants.public.selectors import PUBLIC_STATES

    labels = dict(SourceType.choices)
    received = defaultdict(lambda: Decimal("0.00"))
    for row in Inflow.objects.filter(received_on__year=year).values("source_type").annotate(t=Sum("amount")):
        received[str(labels[row["source_type"]])] += row["t"]
    step(25)
    grants = list(
        Application.objects.filter(status__in=PUBLIC_STATES, awarded_amount__isnull=False, call__opens_at__year=year)
        .select_related("group__community", "problem__theme")
        .order_by("group__community__name", "title")
    )
    by_theme, by_community = defaultdict(lambda: Decimal("0.00")), defaultdict(lambda: Decimal("0.00"))
    for g in grants:
        by_theme[g.problem.theme.name if g.problem_id else _("No theme")] += g.awarded_amount
        by_community[g.group.community.name] += g.awarded_amount
    step(50)
    outcomes = list(Outcome.objects.filter(application__in=grants).select_related("application__group"))
    report = verify()
    step(75)
    order = [str(label) for _v, label in SourceType.choices]
    return {
        "year": year,
        "received": sorted(received.items(), key=lambda kv: -kv[1]),
        "received_total": sum(received.values(), Decimal("0.00")),
        "received_chart": charts.hbar(
            sorted(received.items(), key=lambda kv: -kv[1]),
            title=_("Received by source type"),
            order=order,
            fmt=format_amount,
        ),
        "by_theme": sorted(by_theme.items(), key=lambda kv: -kv[1]),
        "by_community": sorted(by_community.items(), key=lambda kv: -kv[1]),
        "theme_chart": charts.hbar(
            sorted(by_theme.items(), key=lambda kv: -kv[1]), title=_("Grants by theme"), fmt=format_amount
        ),
        "grants": grants,
        "outcomes": outcomes,
        "summary": pool_summary(),
        "verified": report.ok,
        "generated_at": timezone.localtime(),
    }


def _take(job_id: int) -> bool:
    """Mark a queued (or failed) job as running, by one conditional update: two workers never
    generate one document twice. A job "running" for longer than a job may run (JOB_TIMEOUT) lost
    its worker (killed, say) and is taken again. False if someone else has it."""
    lost = timezone.now() - timedelta(seconds=settings.JOB_DOCUMENTS_TIMEOUT)
    return bool(
        DocumentJob.objects.filter(
            Q(status__in=(JobStatus.QUEUED, JobStatus.FAILED)) | Q(status=JobStatus.RUNNING, started_at__lt=lost),
            pk=job_id,
        ).update(status=JobStatus.RUNNING, progress=5, started_at=timezone.now(), error="")
    )


def run_job(job_id: int) -> DocumentJob:
    """Generate a queued (or failed) job's document, unless another worker has taken it."""
    job = DocumentJob.objects.get(pk=job_id)
    if not _take(job_id):
        return job
    job.refresh_from_db()
    return _generate(job)


def _generate(job: DocumentJob) -> DocumentJob:
    try:
        context = annual_context(job.year, step=lambda p: _progress(job, p))
        pdf = render_pdf("reports/annual_report.html", context, title=_("Annual report %(year)s") % {"year": job.year})
        job.refresh_from_db()
        job.file.save(f"annual-report-{job.year}.pdf", ContentFile(pdf), save=False)  # a full disk fails here
    except Exception as exc:  # noqa: BLE001 - the job says what went wrong; staff may retry
        logger.exception("annual report %s failed", job.year)
        DocumentJob.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error=str(exc)[:2000])
        return DocumentJob.objects.get(pk=job.pk)
    job.sha256 = hashlib.sha256(pdf).hexdigest()
    job.status, job.progress, job.finished_at = JobStatus.DONE, 100, timezone.now()
    job.save(update_fields=["file", "sha256", "status", "progress", "finished_at"])
    return job
