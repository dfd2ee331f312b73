"""Jobs in tests. The test settings run a job as it is queued (Q_CLUSTER sync); the `queued_jobs`
fixture (tests/conftest.py) makes a real queue instead, and `run_queued` is one pass of a worker
over it, in this process."""

from __future__ import annotations

import pydoc

from django_q.models import OrmQ
from django_q.signing import SignedPackage


def waiting() -> list[dict]:
    return [SignedPackage.loads(row.payload) for row in OrmQ.objects.order_by("pk")]


def run_queued() -> int:
    """Run every queued job once, oldest first, as a worker would; returns how many ran."""
    done = 0
    for row in OrmQ.objects.order_by("pk"):
        task = SignedPackage.loads(row.payload)
        row.delete()
        func = task["func"] if callable(task["func"]) else pydoc.locate(task["func"])
        try:
            func(*task["args"], **task["kwargs"])
        except Exception:  # noqa: BLE001 - a failed job is the job's business (its retry is scheduled)
            pass
        done += 1
    return done


# Jobs for the tests of the framework itself.
CALLS: list = []


def fail_always(*args):
    CALLS.append(args)
    raise RuntimeError("boom")


def succeed(*args):
    CALLS.append(args)
    return "ok"
