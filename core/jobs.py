"""Background jobs, on django-q2 with the database as its broker (docs/operations.md says why).

`enqueue("app.module.function", arg, ...)` queues a job; the worker (`manage.py qcluster`, which
`make run` and `make production` start) runs it through `run`. Arguments are plain values (ids,
strings) so that a job can be read, retried and scheduled by name.

- A job that raises is tried again later, after JOB_RETRY_BASE seconds, then twice as long each
  time; after JOB_RETRIES tries it is given up: staff are told by email, and the failure is listed
  in the admin (后台任务) with a button to try it again.
- A worker killed in the middle of a job (kill -9, a lost machine) leaves the job in the broker
  table, locked until the broker's `retry` time: another worker then runs it again. Every job is
  written so that running it twice has the effect of running it once.
- The schedules (`SCHEDULES`) are rows the worker's scheduler reads: `schedules_sync` writes them
  after every migrate, with the intervals from settings.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

RUNNER = "core.jobs.run"


def _cluster(cluster: str | None) -> str | None:
    """The worker cluster that takes a kind of job: JOB_CLUSTERS maps a kind ("documents") to the
    name of an ALT_CLUSTER in production; in development one cluster takes everything."""
    return settings.JOB_CLUSTERS.get(cluster) if cluster else None


def retry_name(func: str, args, attempt: int) -> str:
    return f"retry {attempt}: {func}{tuple(args)!r}"[:100]


def enqueue(func: str, *args, kind: str | None = None, attempt: int = 1, delay: int = 0) -> None:
    """Queue `func` (a dotted path) with these plain arguments; after `delay` seconds if given.
    Called inside a transaction, the job is queued with it (the broker is the same database): it
    runs only if the transaction commits."""
    from django_q.models import Schedule
    from django_q.tasks import async_task

    cluster = _cluster(kind)
    if delay:
        Schedule.objects.create(
            name=retry_name(func, args, attempt),
            func=RUNNER,
            args=repr((func, list(args), attempt, kind)),
            schedule_type=Schedule.ONCE,
            repeats=-1,  # deleted once it has run
            next_run=timezone.now() + timedelta(seconds=delay),
            cluster=cluster,
        )
        return
    q_options = {"task_name": f"{func}{tuple(args)!r}"[:100]}
    if cluster:
        q_options["cluster"] = cluster
    async_task(RUNNER, func, list(args), attempt, kind, q_options=q_options)


def backoff(attempt: int) -> int:
    return settings.JOB_RETRY_BASE * 2 ** (attempt - 1)


class GaveUp(Exception):
    """A job failed JOB_RETRIES times; the last error is its cause."""


def run(func: str, args: list, attempt: int = 1, kind: str | None = None):
    """Run one job; on failure, try again later or give up (see the module's docstring)."""
    function = import_string(func)
    try:
        result = function(*args)
    except Exception as exc:
        if attempt < settings.JOB_RETRIES:
            delay = backoff(attempt)
            logger.warning("job %s%r failed (try %s); again in %s s", func, tuple(args), attempt, delay, exc_info=True)
            enqueue(func, *args, kind=kind, attempt=attempt + 1, delay=delay)
            raise
        logger.error("job %s%r gave up after %s tries", func, tuple(args), attempt, exc_info=True)
        if func != "core.outbox.deliver":  # an email that cannot go is in the outbox; an alert would not go either
            _tell_staff(func, args, attempt, exc)
        raise GaveUp(f"{func}{tuple(args)!r}: {type(exc).__name__}: {exc}") from exc
    if attempt > 1:
        forget_failures(func, args)  # done at last: its failed tries leave the admin's list
    return result


def forget_failures(func: str, args) -> int:
    """Delete the recorded failed tries of one job (func and args)."""
    from django_q.models import Failure

    gone = 0
    for row in Failure.objects.filter(func=RUNNER).only("id", "args"):
        other = list(row.args or ()) + [None, []]
        if other[0] == func and list(other[1] or []) == list(args):
            row.delete()
            gone += 1
    return gone


def _tell_staff(func: str, args, attempt: int, exc: Exception) -> None:
    from django.core.mail import mail_managers
    from django.utils import translation
    from django.utils.translation import gettext as _

    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A background job failed %(n)s times and was given up") % {"n": attempt}
        body = _(
            "%(job)s\n\nLast error: %(error)s\n\nThe admin lists failed jobs under 后台任务, with a button to try "
            "again."
        ) % {"job": f"{func}{tuple(args)!r}", "error": f"{type(exc).__name__}: {exc}"}
    try:
        mail_managers(subject, body)
    except Exception:  # noqa: BLE001 - the failure is listed in the admin whatever the mail does
        logger.exception("could not tell staff of the failed job %s", func)


# --- what runs on a schedule ----------------------------------------------------------------


@dataclass(frozen=True)
class Scheduled:
    name: str
    func: str
    minutes_setting: str  # the setting that says how often, in minutes
    kind: str | None = None


SCHEDULES = [
    # Public notices that ended are closed (and the objection digest sent): hourly in production,
    # every minute under `make run`, so that a newcomer sees a notice close.
    Scheduled("close notices", "grants.jobs.close_notices", "JOB_CLOSE_NOTICES_EVERY"),
    # The daily digest of the notifications people chose to get once a day.
    Scheduled("daily digest", "core.notifications.send_digests", "JOB_DIGEST_EVERY"),
    # Reminders of what is due, once a day (each person at most one a day).
    Scheduled("send reminders", "grants.jobs.send_reminders", "JOB_REMINDERS_EVERY"),
    # Safety nets: Stripe events and requested documents that no job took (a job lost before it
    # was queued, say) are taken here.
    Scheduled("stripe events", "fundpool.jobs.process_waiting_events", "JOB_STRIPE_SWEEP_EVERY"),
    Scheduled("documents", "reports.jobs.run_waiting_documents", "JOB_DOCUMENTS_SWEEP_EVERY", kind="documents"),
    # Disclosure deadlines will be checked here when the disclosure calendar comes.
]


def schedules_sync(**_kwargs) -> None:
    """Make the schedule rows match SCHEDULES and the settings (after every migrate)."""
    from django_q.models import Schedule

    names = []
    for item in SCHEDULES:
        minutes = getattr(settings, item.minutes_setting)
        names.append(item.name)
        schedule = Schedule.objects.filter(name=item.name).first()
        fields = {
            "func": RUNNER,
            "args": repr((item.func, [], 1, item.kind)),
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
            "cluster": _cluster(item.kind),
        }
        if schedule is None:
            Schedule.objects.create(name=item.name, next_run=timezone.now(), **fields)
        elif any(getattr(schedule, k) != v for k, v in fields.items()):
            Schedule.objects.filter(pk=schedule.pk).update(**fields)
    # Schedules of ours no longer wanted (retries are one-off and named "retry …": kept).
    Schedule.objects.filter(func=RUNNER, schedule_type=Schedule.MINUTES).exclude(name__in=names).delete()
