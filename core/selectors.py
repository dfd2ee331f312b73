"""Reads of the outbox and of the background jobs, for staff's screens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet

from .jobs import RUNNER, retry_name
from .models import OutboundEmail


def messages_about(*, ref: str) -> QuerySet[OutboundEmail]:
    """Every email about one thing (an application's reference, say), newest first."""
    return OutboundEmail.objects.filter(ref=ref).order_by("-created_at", "-pk")


@dataclass
class FailedJob:
    id: str
    func: str
    args: list
    attempt: int
    started: datetime
    error: str
    next_try: datetime | None  # when it will be tried again by itself (None: given up)
    kind: str | None = None

    @property
    def gave_up(self) -> bool:
        return self.next_try is None


def failed_jobs(*, limit: int = 200) -> list[FailedJob]:
    """Jobs whose last try failed, newest first, with when each is tried again (or that it was given
    up)."""
    from django_q.models import Failure, Schedule

    out = []
    rows = list(Failure.objects.filter(func=RUNNER).order_by("-stopped")[: limit * 2])
    pending = {
        s.name: s.next_run
        for s in Schedule.objects.filter(func=RUNNER, name__startswith="retry ").only("name", "next_run")
    }
    seen = set()
    for row in rows:
        args = list(row.args or ())
        func, job_args, attempt = (args + [None, [], 1])[:3]
        key = (func, tuple(job_args or ()))
        if key in seen:
            continue  # an earlier try of the same job (a try that succeeds forgets them: core.jobs.run)
        seen.add(key)
        next_try = pending.get(retry_name(func, job_args or [], (attempt or 1) + 1))
        out.append(
            FailedJob(
                id=row.id,
                func=str(func),
                args=list(job_args or []),
                attempt=attempt or 1,
                started=row.started,
                error=str(row.result or "")[-2000:],
                kind=(args + [None, None, None, None])[3],
                next_try=next_try,
            )
        )
        if len(out) >= limit:
            break
    return out


def jobs_waiting() -> int:
    from django_q.models import OrmQ

    return OrmQ.objects.count()


def retries_allowed() -> int:
    return settings.JOB_RETRIES
