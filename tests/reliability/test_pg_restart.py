"""PostgreSQL restarted, for real, in the middle of a stream of Stripe webhook deliveries.

The site runs under gunicorn with the production settings (persistent connections with health
checks), twice on the same database: once processing each event before answering (the default)
and once only storing it (STRIPE_PROCESS_INLINE=0). A sender behaving like Stripe delivers
distinct signed events to both, retrying anything that is not a 2xx; a third of the way through,
the cluster is restarted. What was cut off must have left nothing behind, and Stripe's retries
alone must land each inline gift exactly once; the stored ones are then processed by
`process_stripe_events` (whose loop surviving a lost connection is test_queue_worker.py's)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Count

from fundpool.donations import services as donation_services
from fundpool.ledger.verify import verify
from fundpool.models import Donation, DonationStatus, EntryKind, EventStatus, JournalEntry, StripeEvent

from ..fundpool import stripe_kit as kit
from .harness import (
    Delivery,
    StripeSender,
    database_url,
    local_cluster,
    start_site,
    stopped_on_leaving,
    tail,
    wait_for_site,
    wait_until,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="restarts the PostgreSQL cluster under a served site; needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

GIFTS_EACH_WAY = 40


def gifts_with_events(n: int) -> list[tuple[Donation, dict]]:
    made = []
    for i in range(n):
        donation = donation_services.donation_start(amount=f"{20 + i}.00")
        Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
        donation.refresh_from_db()
        made.append((donation, kit.event("checkout.session.completed", kit.session_for(donation))))
    return made


def test_a_postgresql_restart_during_webhook_deliveries_loses_nothing_and_doubles_nothing(tmp_path):
    cluster, why_not = local_cluster()
    if cluster is None:
        pytest.skip(why_not)
    inline, queued = gifts_with_events(GIFTS_EACH_WAY), gifts_with_events(GIFTS_EACH_WAY)
    url = database_url()
    logs = {name: tmp_path / f"{name}.log" for name in ("inline", "queued")}

    try:
        with stopped_on_leaving() as started:
            inline_site, inline_port = start_site(url, logs["inline"], STRIPE_PROCESS_INLINE="1")
            started.append(inline_site)
            queued_site, queued_port = start_site(url, logs["queued"], STRIPE_PROCESS_INLINE="0")
            started.append(queued_site)
            wait_for_site(inline_site, inline_port, logs["inline"])
            wait_for_site(queued_site, queued_port, logs["queued"])
            deliveries = []
            for (_, inline_event), (_, queued_event) in zip(inline, queued, strict=True):
                deliveries += [Delivery(inline_port, inline_event), Delivery(queued_port, queued_event)]
            stripe = StripeSender(deliveries).start()
            try:
                assert wait_until(lambda: stripe.delivered >= len(deliveries) // 3, timeout=30), stripe.failures
                delivered_before = stripe.delivered
                restart_seconds = cluster.restart()
                all_delivered = stripe.wait(timeout=45)
            finally:
                stripe.stop()
    finally:
        cluster.ensure_running()
        connections.close_all()  # this process's session ended with the restart

    logs_tail = "\n".join(f"--- {name}\n{tail(path)}" for name, path in logs.items())
    print(
        f"restart took {restart_seconds:.1f} s after {delivered_before} of {len(deliveries)} deliveries; "
        f"failed attempts: {dict(stripe.failures)}"
    )
    assert all_delivered, (stripe.undelivered, stripe.failures, logs_tail)
    assert delivered_before < len(deliveries) and stripe.failures, "the restart interrupted no delivery"
    # Nothing but the inline site and Stripe's retries has run: each inline gift is in, each queued
    # event is stored, untouched.
    inline_ids = [event["id"] for _, event in inline]
    queued_ids = [event["id"] for _, event in queued]
    assert set(StripeEvent.objects.filter(event_id__in=inline_ids).values_list("status", flat=True)) == {
        EventStatus.PROCESSED
    }
    assert set(StripeEvent.objects.filter(event_id__in=queued_ids).values_list("status", flat=True)) == {
        EventStatus.RECEIVED
    }
    assert StripeEvent.objects.filter(event_id__in=queued_ids).count() == len(queued_ids)
    assert Donation.objects.filter(status=DonationStatus.CONFIRMED).count() == len(inline)
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == len(inline)

    call_command("process_stripe_events", stdout=io.StringIO())

    donations = [d for d, _ in inline + queued]
    expected_refs = {f"stripe:cs:{d.stripe_session_id}" for d in donations}
    assert StripeEvent.objects.count() == len(donations)
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {EventStatus.PROCESSED}
    inflow_entries = JournalEntry.objects.filter(kind=EntryKind.INFLOW)
    assert sorted(inflow_entries.values_list("external_ref", flat=True)) == sorted(expected_refs)
    assert not inflow_entries.annotate(n=Count("postings")).filter(n__lt=2).exists()
    confirmed = Donation.objects.filter(pk__in=[d.pk for d in donations]).select_related("inflow__entry")
    assert {d.status for d in confirmed} == {DonationStatus.CONFIRMED}
    assert all(
        d.inflow.amount == d.amount and d.inflow.entry.external_ref.endswith(d.stripe_session_id) for d in confirmed
    )
    assert not Donation.objects.filter(status=DonationStatus.CONFIRMED, inflow__isnull=True).exists()
    assert Donation.objects.filter(inflow__isnull=False).count() == len(donations)
    report = verify()
    assert report.ok, report.problems
