"""The background worker (`manage.py run_worker`): one loop that drains the queued Stripe events and
generates the documents staff asked for, so neither holds a web request. Several may run at once;
each takes rows the others have not taken. It rides through a lost database connection (a
restart, a failover) and stops cleanly on SIGTERM or SIGINT after the task in hand."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Sequence

from django.db import InterfaceError, OperationalError, close_old_connections, connections

logger = logging.getLogger(__name__)

Task = Callable[[], int]  # does some work, returns how much (0: nothing was waiting)


def stripe_events(limit: int = 200, *, retry_every: float = 60.0) -> Task:
    """New events at every pass; events that failed before (a bug of ours, a row locked too long)
    again at most every `retry_every` seconds, so that one broken event is not retried, and its
    traceback logged, every second for ever."""
    from fundpool.donations.stripe_events import events_process_queue

    last_retry: float | None = None

    def task() -> int:
        nonlocal last_retry
        retry = last_retry is None or time.monotonic() - last_retry >= retry_every
        if retry:
            last_retry = time.monotonic()
        return events_process_queue(limit=limit, retry_failed=retry)

    return task


def documents() -> Task:
    from reports.annual import run_queued_jobs

    return run_queued_jobs


TASKS = {"stripe": stripe_events, "documents": documents}


class Worker:
    def __init__(self, tasks: Sequence[Task], *, poll: float = 1.0):
        self.tasks, self.poll, self.stopping = list(tasks), poll, False

    def stop(self, *_args) -> None:
        self.stopping = True

    def once(self) -> int:
        return sum(task() for task in self.tasks)

    def run(self, *, loop: bool = True) -> int:
        """One pass, or (loop) passes until stopped, sleeping `poll` seconds when nothing waited."""
        total = 0
        if loop:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        while True:
            try:
                done = self.once()
            except (OperationalError, InterfaceError):
                if not loop:
                    raise
                # The database went away: what was in flight rolled back and is still waiting. Drop
                # the dead connection and try again; without this the worker exited and the queue
                # stopped until someone restarted it.
                logger.warning("worker: database unavailable; retrying in 1 s", exc_info=True)
                connections.close_all()
                done = 0
                self._sleep(1.0)
            total += done
            if not loop or self.stopping:
                return total
            if not done:
                close_old_connections()  # honours CONN_MAX_AGE and health checks between passes
                self._sleep(self.poll)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))
