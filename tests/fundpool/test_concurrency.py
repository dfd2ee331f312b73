"""Races for money, on PostgreSQL with real threads and real transactions.

SQLite serialises every writer (BEGIN IMMEDIATE), so there is no race to lose there; these tests
need row locks and concurrent sessions and are skipped on SQLite."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from fundpool.donations import services as donation_services
from fundpool.errors import AlreadyReversed, DuplicateReference, FundpoolError, InsufficientFunds
from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.ledger.verify import verify
from fundpool.models import Account, EntryKind, JournalEntry

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and concurrent sessions"),
    pytest.mark.django_db(transaction=True),
]


def race(n, work):
    """Run work(i) in n threads released at the same instant; return what each returned or raised."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_twenty_commits_racing_for_money_enough_for_seven(receive, gov):
    receive("700.00", funder=gov)
    results = race(20, lambda i: commitments.commitment_commit(reference=f"race:{i}", amount="100.00"))
    won = [r for r in results if isinstance(r, JournalEntry)]
    lost = [r for r in results if isinstance(r, InsufficientFunds)]
    assert len(won) == 7, results
    assert len(lost) == 13, results
    assert Account.objects.get(code="available:unrestricted").balance == 0
    assert not Account.objects.filter(balance__lt=0, kind="available").exists()
    report = verify()
    assert report.ok, report.problems


def test_racing_reversals_of_one_entry_post_exactly_one(receive, gov):
    lot = receive("300.00", funder=gov)
    results = race(10, lambda i: ledger_services.entry_reverse(entry=lot.entry, reason=f"thread {i}"))
    assert sum(isinstance(r, JournalEntry) for r in results) == 1, results
    assert all(isinstance(r, (JournalEntry, AlreadyReversed)) for r in results), results
    assert JournalEntry.objects.filter(kind=EntryKind.REVERSAL).count() == 1
    assert verify().ok


def test_one_payment_reference_pays_once_however_many_send_it(receive, gov):
    receive("1000.00", funder=gov)
    commitments.commitment_commit(reference="grant:pay", amount="900.00")
    results = race(
        10, lambda i: commitments.commitment_disburse(reference="grant:pay", amount="100.00", external_ref="BANK-PAY-1")
    )
    assert sum(isinstance(r, JournalEntry) for r in results) == 1, results
    assert all(isinstance(r, (JournalEntry, DuplicateReference)) for r in results), results
    assert Account.objects.get(code="paid:grant:pay").balance == Decimal("100.00")
    assert verify().ok


def test_disbursements_racing_for_one_commitment_never_overpay(receive, gov):
    receive("1000.00", funder=gov)
    commitments.commitment_commit(reference="grant:over", amount="500.00")
    results = race(8, lambda i: commitments.commitment_disburse(reference="grant:over", amount="100.00"))
    assert sum(isinstance(r, JournalEntry) for r in results) == 5, results
    assert all(isinstance(r, (JournalEntry, FundpoolError)) for r in results), results
    assert Account.objects.get(code="paid:grant:over").balance == Decimal("500.00")
    assert verify().ok


def test_commits_and_disbursements_interleaved_never_deadlock(receive, gov):
    """Grants drawing the same small gifts while others are being paid: a disbursement's lot
    records point at lots a concurrent commitment holds locked. Locks must not wait in a circle."""
    for _ in range(60):
        receive("35.00")
    errors = []

    def work(i):
        for n in range(6):
            ref = f"mix:{i}:{n}"
            try:
                commitments.commitment_commit(reference=ref, amount="30.00")
                commitments.commitment_disburse(reference=ref, amount="18.00")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
        return None

    race(4, work)
    assert errors == []
    assert JournalEntry.objects.filter(kind=EntryKind.DISBURSE).count() == 24
    report = verify()
    assert report.ok, report.problems


def test_fifty_copies_of_one_stripe_event_at_once_post_one_entry(settings):
    from django.test import Client

    from fundpool.models import Donation, DonationStatus, StripeEvent

    from . import stripe_kit as kit

    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    donation = donation_services.donation_start(amount="50.00")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    ev = kit.event("checkout.session.completed", kit.session_for(donation))

    results = race(50, lambda i: kit.post(Client(), ev).status_code)
    assert results == [200] * 50, results
    assert StripeEvent.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED
    assert verify().ok


def test_completed_and_async_succeeded_racing_for_one_session_make_one_gift(settings):
    from django.test import Client

    from fundpool.models import Donation

    from . import stripe_kit as kit

    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    donation = donation_services.donation_start(amount="20.00")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    events = [
        kit.event("checkout.session.completed", kit.session_for(donation)),
        kit.event("checkout.session.async_payment_succeeded", kit.session_for(donation)),
    ] * 5
    results = race(10, lambda i: kit.post(Client(), events[i]).status_code)
    assert results == [200] * 10, results
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1
    assert verify().ok
