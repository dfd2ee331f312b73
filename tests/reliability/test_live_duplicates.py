"""Fifty copies of one Stripe event delivered at once over real HTTP to the served site (each
request on its own server thread and database session), not through the test client: one event
row, one ledger entry, one confirmed gift, and every copy answered 200 so Stripe stops."""

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
from django.db import connection

from fundpool.donations import services as donation_services
from fundpool.ledger.verify import verify
from fundpool.models import Donation, DonationStatus, EntryKind, JournalEntry, StripeEvent

from ..fundpool import stripe_kit as kit

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent sessions"),
    pytest.mark.django_db(transaction=True),
]

COPIES = 50


def test_fifty_concurrent_http_deliveries_of_one_event_post_one_entry(live_server, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    donation = donation_services.donation_start(amount="50.00")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    body = kit.body_of(kit.event("checkout.session.completed", kit.session_for(donation)))
    address = urlsplit(live_server.url)
    # Connected one by one first: the test server's listen queue is short (Django's is 10) and a
    # burst of fifty handshakes overflows it. The requests then go all at once.
    opened = [http.client.HTTPConnection(address.hostname, address.port, timeout=60) for _ in range(COPIES)]
    for conn in opened:
        conn.connect()
    together = threading.Barrier(COPIES)

    def deliver(i):
        conn = opened[i]
        try:
            together.wait(timeout=30)
            headers = {"Content-Type": "application/json", "Stripe-Signature": kit.sign(body)}
            conn.request("POST", "/stripe/webhook/", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    with ThreadPoolExecutor(COPIES) as pool:
        answers = list(pool.map(deliver, range(COPIES)))

    assert [status for status, _ in answers] == [200] * COPIES, answers
    assert StripeEvent.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED
    report = verify()
    assert report.ok, report.problems
