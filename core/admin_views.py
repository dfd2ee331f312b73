"""Staff's screen of background jobs that failed: what, when, the error, whether it will be tried
again by itself, and a button to try it again now."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import jobs, selectors


def _require(request) -> None:
    if not request.user.has_perm("core.manage_jobs"):
        raise PermissionDenied


def failed_jobs(request):
    _require(request)
    return render(
        request,
        "core/admin/jobs.html",
        {
            "failed": selectors.failed_jobs(),
            "waiting": selectors.jobs_waiting(),
            "tries": selectors.retries_allowed(),
        },
    )


@require_POST
def job_retry(request, task_id):
    """Queue the job of a failed try again, from its first try; its failed tries leave the list."""
    from django_q.models import Failure

    _require(request)
    failure = Failure.objects.filter(id=str(task_id)[:32], func=jobs.RUNNER).first()
    if failure is None:
        messages.error(request, _("That job is no longer in the list."))
        return redirect("core_admin:jobs")
    args = list(failure.args or ()) + [None, [], 1, None]
    func, job_args, kind = args[0], list(args[1] or []), args[3]
    jobs.forget_failures(func, job_args)
    jobs.enqueue(func, *job_args, kind=kind)
    messages.success(request, _("The job is queued again."))
    return redirect("core_admin:jobs")
