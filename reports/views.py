"""The annual report: staff request it and watch its progress; everyone downloads the published ones."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.uploads import private_file_response

from .annual import annual_report_request
from .models import DocumentJob, JobStatus


def jobs(request):
    """Admin: request a year's report; see each job's progress (the page refreshes while one runs)."""
    if not request.user.has_perm("reports.generate_annual_report"):
        raise PermissionDenied
    if request.method == "POST":
        year = request.POST.get("year", "")
        if not (year.isdecimal() and 2000 <= int(year) <= timezone.localdate().year):
            messages.error(request, _("Give a year between 2000 and this year."))
        else:
            annual_report_request(year=int(year), actor=request.user)
            messages.success(request, _("The report is being generated; this page shows its progress."))
        return redirect("reports_admin:jobs")
    recent = list(DocumentJob.objects.select_related("requested_by")[:20])
    return render(
        request,
        "reports/admin/jobs.html",
        {
            "jobs": recent,
            "running": any(j.status in (JobStatus.QUEUED, JobStatus.RUNNING) for j in recent),
            "this_year": timezone.localdate().year,
        },
    )


def _done(year: int):
    return (
        DocumentJob.objects.filter(kind="annual_report", year=year, status=JobStatus.DONE)
        .order_by("-finished_at")
        .first()
    )


@require_GET
def download(request, pk):
    if not request.user.has_perm("reports.generate_annual_report"):
        raise PermissionDenied
    job = get_object_or_404(DocumentJob, pk=pk, status=JobStatus.DONE)
    return private_file_response(job.file, content_type="application/pdf")


@require_GET
def public_list(request):
    years = sorted({j.year for j in DocumentJob.objects.filter(status=JobStatus.DONE).only("year")}, reverse=True)
    return render(request, "reports/annual_list.html", {"years": years})


@require_GET
def public_download(request, year):
    job = _done(year)
    if job is None:
        raise Http404
    return private_file_response(job.file, content_type="application/pdf")
