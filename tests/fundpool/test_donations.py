"""Online gifts through signed Stripe webhooks, built from Stripe's example objects and verified by
the real `stripe.Webhook.construct_event`: fulfilment exactly once, in any order, refunds, disputes,
fees, suspense, unknown events; campaigns and matching."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from fundpool import system_reasons
from fundpool.donations import services as donation_services
from fundpool.donations.selectors import campaign_progress, donation_trace
from fundpool.errors import FundpoolError
from fundpool.ledger import commitments
from fundpool.ledger.engine import Restriction
from fundpool.ledger.selectors import pool_summary
from fundpool.ledger.verify import verify
from fundpool.models import (
    Campaign,
    Donation,
    DonationStatus,
    EntryKind,
    EventStatus,
    JournalEntry,
    Pledge,
    RestrictionKind,
    SourceType,
    StripeEvent,
)

from ..factories import FunderFactory, ThemeFactory
from . import stripe_kit as kit

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    settings.MANAGERS = [("Finance", "finance@fund.invalid")]


def start(amount="50.00", **kw):
    donation = donation_services.donation_start(amount=amount, email="donor@example.invalid", display_name="小林", **kw)
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    return donation


def completed(donation, **kw):
    return kit.event("checkout.session.completed", kit.session_for(donation, **kw))


# --- signatures -------------------------------------------------------------------------------------


def test_a_signed_completed_session_records_one_gift(client, django_capture_on_commit_callbacks):
    donation = start()
    with django_capture_on_commit_callbacks(execute=True):
        response = kit.post(client, completed(donation))
    assert response.status_code == 200
    donation.refresh_from_db()
    assert donation.status == DonationStatus.CONFIRMED
    inflow = donation.inflow
    assert (inflow.source_type, inflow.amount, inflow.restriction_kind) == (
        SourceType.DONATION,
        D("50.00"),
        "unrestricted",
    )
    assert JournalEntry.objects.filter(external_ref=f"stripe:cs:{donation.stripe_session_id}").count() == 1
    assert pool_summary()["received"]["donation"] == D("50.00")
    assert mail.outbox and donation.token in mail.outbox[0].body
    assert verify().ok


@pytest.mark.parametrize(
    "case",
    ["forged", "missing", "stale", "one_byte", "wrong_secret"],
)
def test_bad_signatures_get_400_and_change_nothing(client, case, caplog):
    donation = start()
    ev = completed(donation)
    body = kit.body_of(ev)
    if case == "forged":
        response = client.post(
            "/stripe/webhook/", body, content_type="application/json", HTTP_STRIPE_SIGNATURE="t=1,v1=00"
        )
    elif case == "missing":
        response = client.post("/stripe/webhook/", body, content_type="application/json")
    elif case == "stale":
        response = kit.post(client, ev, timestamp=int(time.time()) - 301)
    elif case == "one_byte":
        changed = body.replace(b'"amount_total": 5000', b'"amount_total": 5001')
        assert changed != body
        response = kit.post(client, ev, body=changed)
    else:
        response = kit.post(client, ev, secret="whsec_someone_else")
    assert response.status_code == 400
    assert "stripe webhook refused" in caplog.text
    assert not StripeEvent.objects.exists()
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PENDING
    assert not JournalEntry.objects.exists()


def test_without_a_webhook_secret_the_endpoint_refuses(client, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    donation = start()
    assert kit.post(client, completed(donation)).status_code == 503
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PENDING


# --- exactly once, any order ------------------------------------------------------------------------------


def test_the_same_event_delivered_again_is_counted_once(client):
    donation = start()
    ev = completed(donation)
    for _ in range(5):
        assert kit.post(client, ev).status_code == 200
    assert StripeEvent.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1


def test_a_repeat_of_a_processed_event_is_answered_from_one_statement_and_changes_nothing(
    client, django_assert_num_queries
):
    donation = start()
    ev = completed(donation)
    kit.post(client, ev)
    before = StripeEvent.objects.get().processed_at
    from django.db import connection

    # No failed insert, no savepoint, no row lock: on PostgreSQL one statement (insert-or-read);
    # elsewhere an insert that does nothing, then the read.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        response = kit.post(client, ev)
    assert response.status_code == 200 and response.json()["status"] == "processed"
    assert StripeEvent.objects.get().processed_at == before
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1


def test_completed_and_async_succeeded_for_one_session_make_one_gift(client):
    donation = start()
    kit.post(client, completed(donation))
    kit.post(client, kit.event("checkout.session.async_payment_succeeded", kit.session_for(donation)))
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1
    assert StripeEvent.objects.count() == 2


def test_an_async_payment_waits_for_its_outcome(client):
    donation = start()
    kit.post(client, completed(donation, paid=False))
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PENDING
    kit.post(client, kit.event("checkout.session.async_payment_succeeded", kit.session_for(donation)))
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED


@pytest.mark.parametrize(
    "event_type, status", [("checkout.session.async_payment_failed", "failed"), ("checkout.session.expired", "expired")]
)
def test_failed_and_expired_sessions_close_the_gift(client, event_type, status):
    donation = start()
    kit.post(client, kit.event(event_type, kit.session_for(donation, paid=False)))
    assert Donation.objects.get(pk=donation.pk).status == status
    assert not JournalEntry.objects.exists()


def test_a_refund_that_arrives_before_the_completed_session_is_booked_after_it(client):
    donation = start()
    refund = kit.event(
        "charge.refunded", kit.charge_for(donation, refunded=2000, refunds=[kit.refund_for(donation, 2000)])
    )
    kit.post(client, refund)
    assert StripeEvent.objects.get(event_id=refund["id"]).status == EventStatus.DEFERRED
    kit.post(client, completed(donation))
    assert StripeEvent.objects.get(event_id=refund["id"]).status == EventStatus.PROCESSED
    entries = JournalEntry.objects.filter(inflow=Donation.objects.get(pk=donation.pk).inflow)
    assert entries.filter(kind=EntryKind.REFUND).get().amount == D("20.00")
    assert verify().ok


# --- amounts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["0", "-5", "1000000", "12.345", "abc", "0.99"])
def test_bad_amounts_never_start_a_gift(amount):
    with pytest.raises(FundpoolError):
        donation_services.donation_start(amount=amount)
    assert not Donation.objects.exists()


@pytest.mark.parametrize("kw", [{"amount_total": 4900}, {"currency": "usd"}])
def test_a_session_that_differs_from_the_gift_is_held_in_suspense(client, kw, django_capture_on_commit_callbacks):
    donation = start()
    with django_capture_on_commit_callbacks(execute=True):
        kit.post(client, completed(donation, **kw))
    donation.refresh_from_db()
    assert donation.status == DonationStatus.SUSPENSE and donation.inflow is None
    assert "50.00" in system_reasons.display(donation.suspense_reason)
    assert not JournalEntry.objects.exists()
    assert any(m.subject.endswith(f"捐赠 #{donation.pk} 已暂挂待查") and "50.00" in m.body for m in mail.outbox)


def test_a_session_we_never_created_is_held_in_suspense(client):
    ghost = Donation(pk=999999, amount=D("88.00"), stripe_session_id="cs_test_ghost")
    session = kit.session_for(ghost)
    session.update(client_reference_id=None, metadata={})
    kit.post(client, kit.event("checkout.session.completed", session))
    held = Donation.objects.get(stripe_session_id="cs_test_ghost")
    assert (held.status, held.amount) == (DonationStatus.SUSPENSE, D("88.00"))
    assert not JournalEntry.objects.exists()


def test_unknown_event_types_are_acknowledged_and_ignored(client, caplog):
    caplog.set_level("INFO", logger="fundpool")
    ev = kit.event("customer.created", kit.obj("charge"))
    response = kit.post(client, ev)
    assert response.status_code == 200
    assert StripeEvent.objects.get().status == EventStatus.IGNORED
    assert "ignored" in caplog.text


# --- refunds, disputes, fees --------------------------------------------------------------------------------


@pytest.fixture
def received(client):
    donation = start("100.00")
    kit.post(client, completed(donation))
    donation.refresh_from_db()
    return donation


def test_partial_then_full_refunds_are_each_booked_once(client, received):
    first = kit.refund_for(received, 3000, 1)
    kit.post(client, kit.event("charge.refunded", kit.charge_for(received, refunded=3000, refunds=[first])))
    both = [first, kit.refund_for(received, 7000, 2)]
    ev = kit.event("charge.refunded", kit.charge_for(received, refunded=10000, refunds=both))
    kit.post(client, ev)
    kit.post(client, ev)
    refunds = JournalEntry.objects.filter(inflow=received.inflow, kind=EntryKind.REFUND)
    assert sorted(r.amount for r in refunds) == [D("30.00"), D("70.00")]
    assert donation_trace(donation=received)["returned"] == D("100.00")
    assert verify().ok


def test_a_refund_without_the_refund_list_books_the_difference(client, received):
    kit.post(client, kit.event("charge.refunded", kit.charge_for(received, refunded=2500)))
    kit.post(client, kit.event("charge.refunded", kit.charge_for(received, refunded=4000)))
    refunds = JournalEntry.objects.filter(inflow=received.inflow, kind=EntryKind.REFUND)
    assert sorted(r.amount for r in refunds) == [D("15.00"), D("25.00")]


def test_a_refund_of_money_already_committed_books_a_shortfall(client, received):
    commitments.commitment_commit(reference="grant:1", amount="80.00")
    kit.post(client, kit.event("charge.refunded", kit.charge_for(received, refunded=10000)))
    summary = pool_summary()
    assert (summary["shortfall"], summary["refunds"]) == (D("80.00"), D("100.00"))
    from fundpool.ledger.selectors import commitment_balances

    assert commitment_balances(reference="grant:1")["outstanding"] == D("80.00")  # the grant keeps its money
    assert verify().ok


def test_a_dispute_is_charged_back_and_reinstated_when_won(client, received):
    available = pool_summary()["available"]
    dispute = kit.dispute_for(received)
    kit.post(client, kit.event("charge.dispute.created", dispute))
    assert pool_summary()["available"] == available - D("100.00")
    closed = dict(dispute, status="won")
    kit.post(client, kit.event("charge.dispute.closed", closed))
    kit.post(client, kit.event("charge.dispute.closed", closed))
    assert pool_summary()["available"] == available
    chargeback = JournalEntry.objects.get(kind=EntryKind.CHARGEBACK)
    assert JournalEntry.objects.filter(reversal_of=chargeback).count() == 1
    assert verify().ok


def test_a_lost_dispute_stays_charged_back(client, received):
    dispute = kit.dispute_for(received, amount=5000)
    kit.post(client, kit.event("charge.dispute.created", dispute))
    kit.post(client, kit.event("charge.dispute.closed", dict(dispute, status="lost")))
    assert JournalEntry.objects.filter(kind=EntryKind.CHARGEBACK).get().amount == D("50.00")
    assert not JournalEntry.objects.filter(kind=EntryKind.REVERSAL).exists()


def test_a_processor_fee_is_booked_when_stripe_reports_it(client, received):
    txn = kit.obj("balance_transaction", id="txn_test_fee1", fee=290, currency="cny", amount=10000)
    ev = kit.event("charge.updated", kit.charge_for(received, balance_transaction=txn))
    kit.post(client, ev)
    kit.post(client, kit.event("charge.succeeded", kit.charge_for(received, balance_transaction=txn)))
    fee = JournalEntry.objects.get(kind=EntryKind.FEE)
    assert (fee.amount, fee.external_ref) == (D("2.90"), "stripe:fee:txn_test_fee1")
    assert verify().ok


def test_a_refund_for_a_payment_we_never_received_waits(client):
    stranger = Donation(pk=424242, amount=D("10.00"))
    kit.post(client, kit.event("charge.refunded", kit.charge_for(stranger, refunded=1000)))
    assert StripeEvent.objects.get().status == EventStatus.DEFERRED
    assert not JournalEntry.objects.exists()


# --- designations, campaigns, matching -------------------------------------------------------------------


def test_a_gift_designated_to_a_theme_is_restricted_to_it(client):
    theme = ThemeFactory()
    donation = start(restriction=Restriction(kind=RestrictionKind.THEME, theme=theme), designation_label=theme.name)
    kit.post(client, completed(donation))
    donation.refresh_from_db()
    assert (donation.inflow.restriction_kind, donation.inflow.theme) == ("theme", theme)


def test_a_matching_campaign_doubles_gifts_up_to_its_cap(client):
    partner = FunderFactory(name="江州市慈善总会", source_type=SourceType.MATCHING)
    pledge = Pledge.objects.create(
        funder=partner, amount=D("1000.00"), pledged_on=timezone.localdate() - timedelta(days=1)
    )
    campaign = Campaign.objects.create(
        title="九九公益日配捐",
        slug="99",
        goal=D("2000.00"),
        match_pledge=pledge,
        match_cap=D("150.00"),
        starts_on=timezone.localdate(),
    )
    gifts = [start("100.00", campaign=campaign), start("100.00", campaign=campaign)]
    for gift in gifts:
        kit.post(client, completed(gift))
    matches = Donation.objects.filter(channel="match").order_by("pk")
    assert [m.amount for m in matches] == [D("100.00"), D("50.00")]
    assert all(m.inflow.source_type == SourceType.MATCHING and m.inflow.funder == partner for m in matches)
    progress = campaign_progress(campaign=campaign)
    assert (progress.raised, progress.matched, progress.total, progress.percent) == (
        D("200.00"),
        D("150.00"),
        D("350.00"),
        17,
    )
    pledge.refresh_from_db()
    assert pledge.received == D("150.00")
    assert verify().ok


# --- receipt numbers -------------------------------------------------------------------------------------------


def test_staff_record_an_official_receipt_number_once(received, finance, staff):
    from ..factories import UserFactory

    with pytest.raises(donation_services.DonationError):
        donation_services.receipt_number_record(donation=received, number="No.1", actor=UserFactory())
    donation_services.receipt_number_record(donation=received, number="京财0001", actor=finance)
    other = start()
    with pytest.raises(donation_services.DonationError):
        donation_services.receipt_number_record(donation=other, number="京财0002", actor=finance)  # not received
    assert Donation.objects.get(pk=received.pk).receipt_number == "京财0001"


def test_on_busy_days_the_webhook_queues_and_a_worker_processes_once(client, settings, queued_jobs):
    from django.core.management import call_command

    settings.STRIPE_PROCESS_INLINE = False
    donation = start()
    ev = completed(donation)
    assert kit.post(client, ev).status_code == 200
    assert kit.post(client, ev).status_code == 200
    assert StripeEvent.objects.get().status == EventStatus.RECEIVED
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.PENDING
    call_command("process_stripe_events")
    call_command("process_stripe_events")
    assert Donation.objects.get(pk=donation.pk).status == DonationStatus.CONFIRMED
    assert JournalEntry.objects.filter(kind=EntryKind.INFLOW).count() == 1
    assert StripeEvent.objects.get().status == EventStatus.PROCESSED


def test_a_receipt_number_is_recorded_once(received, finance):
    donation_services.receipt_number_record(donation=received, number="赣财0001", actor=finance)
    with pytest.raises(donation_services.DonationError, match="赣财0001"):
        donation_services.receipt_number_record(donation=received, number="赣财0002", actor=finance)
    assert Donation.objects.get(pk=received.pk).receipt_number == "赣财0001"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ends_on": "2020-01-01"}, "ends_on"),
        ({"goal": D("-1")}, "goal"),
        ({"restriction_kind": "theme"}, "restriction_kind"),
        ({"designation_ref": "project-9"}, "designation_ref"),
        ({"match_cap": D("999999")}, "match_cap"),
        ({"government_pledge": True}, "match_pledge"),
    ],
)
def test_a_campaign_with_bad_settings_is_refused(change, field):
    from datetime import date

    from django.core.exceptions import ValidationError

    partner = FunderFactory(name="配捐方", source_type=SourceType.MATCHING)
    pledge = Pledge.objects.create(funder=partner, amount=D("5000.00"), pledged_on=date(2026, 1, 1))
    if change.pop("government_pledge", False):
        pledge = Pledge.objects.create(
            funder=FunderFactory(name="街道办", source_type=SourceType.GOVERNMENT),
            amount=D("5000.00"),
            pledged_on=date(2026, 1, 1),
        )
    campaign = Campaign(
        title="九九", slug="99", goal=D("100"), starts_on=date(2026, 9, 1), match_pledge=pledge, match_cap=D("100")
    )
    for key, value in change.items():
        setattr(campaign, key, date.fromisoformat(value) if key == "ends_on" else value)
    with pytest.raises(ValidationError) as exc:
        campaign.full_clean()
    assert field in exc.value.message_dict
