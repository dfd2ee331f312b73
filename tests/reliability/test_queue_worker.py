"""The job workers (`manage.py qcluster`, which the production profile runs) outlive a lost database connection (a restart, a failover, an
administrator ending sessions): it drops the dead connection, reconnects and goes on draining the
queue. It used to exit with the first OperationalError, leaving queued gifts unprocessed until
someone restarted it. The session is ended with pg_terminate_backend, so no other user of the
server is disturbed (test_pg_restart.py restarts the whole cluster)."""

import uuid

import pytest
from django.db import connection

from core import jobs
from fundpool.donations import services as donation_services
from fundpool.donations import stripe_events
from fundpool.models import Donation, DonationStatus, EventStatus, StripeEvent

from ..fundpool import stripe_kit as kit
from .harness import database_url, start_queue_worker, stopped_on_leaving, tail, wait_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="ends a PostgreSQL session with pg_terminate_backend"),
    pytest.mark.django_db(transaction=True),
]


def sessions_of(app_name: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND datname = current_database()", [app_name]
        )
        return [pid for (pid,) in cursor.fetchall()]


def test_the_queue_worker_reconnects_after_its_database_session_is_ended(tmp_path, queued_jobs):
    app_name = f"queue-worker-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    worker = start_queue_worker(database_url(), log, app_name=app_name)
    with stopped_on_leaving(worker):
        assert wait_until(lambda: sessions_of(app_name), timeout=60), tail(log)
        ended = sessions_of(app_name)
        with connection.cursor() as cursor:
            for pid in ended:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        donation = donation_services.donation_start(amount="30.00")
        Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
        donation.refresh_from_db()
        event = stripe_events.event_store(kit.event("checkout.session.completed", kit.session_for(donation)))
        jobs.enqueue("fundpool.jobs.process_event", event.event_id)  # as the webhook does

        processed = wait_until(lambda: StripeEvent.objects.get(pk=event.pk).status == EventStatus.PROCESSED, timeout=30)
        alive = worker.poll() is None
        now = sessions_of(app_name)
        worker.terminate()  # as a supervisor stops it: it finishes what it holds and exits cleanly
        exit_code = worker.wait(timeout=15)
    assert alive, tail(log)
    assert processed, tail(log)
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED
    # It went on in a new session: the dead one was noticed (by Django's health check between
    # passes, or by the worker's own retry when the database is down for longer) and replaced.
    assert now and not set(now) & set(ended), (ended, now, tail(log))
    assert exit_code == 0, tail(log)
