"""A worker killed with kill -9 in the middle of a job loses nothing: the job stays in the broker
table, locked; once the lock has run out (the job timeout and its margin) another worker takes it
and runs it again, and its effect (a gift booked in the ledger) happens once."""

import os
import signal
import uuid

import pytest
from django.db import connection

from core import jobs
from fundpool.donations import services as donation_services
from fundpool.donations import stripe_events
from fundpool.ledger.verify import verify
from fundpool.models import Donation, DonationStatus, EntryKind, EventStatus, JournalEntry, StripeEvent

from ..fundpool import stripe_kit as kit
from .harness import database_url, start_queue_worker, stopped_on_leaving, tail, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the job broker's row locks across processes"),
    pytest.mark.django_db(transaction=True),
]

SHORT = {"JOB_TIMEOUT": "8", "JOB_RETRY_MARGIN": "2", "JOB_WORKERS": "1", "LOG_LEVEL": "INFO"}


def test_a_job_whose_worker_is_killed_runs_again_and_books_the_gift_once(tmp_path, queued_jobs):
    donation = donation_services.donation_start(amount="42.00")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    event = stripe_events.event_store(kit.event("checkout.session.completed", kit.session_for(donation)))
    jobs.enqueue("tests.reliability.jobs.book_after_a_pause", event.event_id, str(tmp_path))
    log = tmp_path / "worker.log"

    first = start_queue_worker(database_url(), log, app_name=f"job-kill-{uuid.uuid4().hex[:8]}", **SHORT)
    with stopped_on_leaving(first):
        assert wait_until(lambda: (tmp_path / "start-1").exists(), timeout=60), tail(log)
        os.killpg(first.pid, signal.SIGKILL)  # the whole cluster: sentinel, pusher, workers, monitor
        first.wait(timeout=15)
    assert StripeEvent.objects.get(pk=event.pk).status == EventStatus.RECEIVED
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PENDING

    (tmp_path / "go").touch()  # no pause the second time
    second = start_queue_worker(database_url(), log, app_name=f"job-kill-{uuid.uuid4().hex[:8]}", **SHORT)
    with stopped_on_leaving(second):
        booked = wait_until(
            lambda: StripeEvent.objects.get(pk=event.pk).status == EventStatus.PROCESSED, timeout=60, every=0.5
        )
        second.terminate()
        second.wait(timeout=30)
    assert booked, tail(log)
    assert sorted(p.name for p in tmp_path.glob("start-*")) == ["start-1", "start-2"]  # it ran again
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1  # once
    assert verify().ok
