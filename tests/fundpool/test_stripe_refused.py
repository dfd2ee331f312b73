"""Signed Stripe events that cannot be booked as they stand, through the webhook URL and the real
`stripe.Webhook.construct_event`: a refund or dispute in another currency than the gift is held in
suspense with an alert; an impossible amount (not finite, huge, a float, a string, negative,
missing, more than the gift) is refused for good, visible to staff with its reason in Chinese. Both
answer 200, so Stripe stops retrying; neither changes the ledger; neither is ever retried."""

import json
from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from fundpool.donations import services as donation_services
from fundpool.donations import stripe_events
from fundpool.ledger.verify import verify
from fundpool.models import Account, Donation, EntryKind, EventStatus, JournalEntry, StripeEvent

from . import stripe_kit as kit

pytestmark = pytest.mark.django_db
D = Decimal
PLACEHOLDER = "__AMOUNT__"


@pytest.fixture(autouse=True)
def stripe_keys(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fundpool"
    settings.STRIPE_WEBHOOK_SECRET = kit.SECRET
    settings.MANAGERS = [("Finance", "finance@fund.invalid")]


@pytest.fixture(params=["inline", "worker"])
def mode(request, settings):
    """Processed before the webhook answers, or queued for the background worker."""
    settings.STRIPE_PROCESS_INLINE = request.param == "inline"
    return request.param


@pytest.fixture
def gift(client, settings):
    """A received ¥100.00 gift (processed inline whatever the mode under test)."""
    inline = settings.STRIPE_PROCESS_INLINE
    settings.STRIPE_PROCESS_INLINE = True
    donation = donation_services.donation_start(amount="100.00", email="donor@example.invalid", display_name="小林")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    assert kit.post(client, kit.event("checkout.session.completed", kit.session_for(donation))).status_code == 200
    donation.refresh_from_db()
    assert donation.inflow is not None
    settings.STRIPE_PROCESS_INLINE = inline
    mail.outbox.clear()
    return donation


def ledger():
    """What an auditor compares: every entry and every balance."""
    return (
        sorted(JournalEntry.objects.values_list("kind", "amount", "external_ref")),
        sorted(Account.objects.values_list("code", "balance")),
    )


def deliver(client, ev: dict, amount_literal: str | None = None):
    """Sign and post the event as Stripe would. `amount_literal` is written into the JSON text in
    place of the placeholder string, so that the body can carry what `json.dumps` never writes
    (`1e309`, `NaN`, a 40-digit integer)."""
    body = kit.body_of(ev)
    if amount_literal is not None:
        body = body.replace(json.dumps(PLACEHOLDER).encode(), amount_literal.encode())
    return client.post(
        "/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=kit.sign(body)
    )


def run_worker():
    """A worker's pass over the events waiting (what the jobs and the sweep do)."""
    call_command("process_stripe_events")


def settle(mode):
    if mode == "worker":
        run_worker()


# --- currency -------------------------------------------------------------------------------------


def usd_refund_list(gift):
    refund = dict(kit.refund_for(gift, 3000), currency="usd")
    return dict(kit.charge_for(gift, refunded=3000, refunds=[refund]), currency="usd")


CURRENCY_CASES = [
    pytest.param("charge.refunded", usd_refund_list, id="refund-in-usd"),
    pytest.param(
        "charge.refunded",
        lambda g: dict(kit.charge_for(g, refunded=3000), currency="usd"),
        id="refund-without-list-in-usd",
    ),
    pytest.param("charge.dispute.created", lambda g: dict(kit.dispute_for(g), currency="usd"), id="dispute-in-usd"),
]


@pytest.mark.parametrize("type_, make", CURRENCY_CASES)
def test_a_refund_or_dispute_in_another_currency_is_held_in_suspense_with_an_alert(
    client, gift, mode, type_, make, django_capture_on_commit_callbacks
):
    before = ledger()
    ev = kit.event(type_, make(gift))
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, ev)
        settle(mode)
    assert response.status_code == 200
    event = StripeEvent.objects.get(event_id=ev["id"])
    assert event.status == EventStatus.SUSPENSE
    assert "USD" in event.reason and "CNY" in event.reason and "未入账" in event.reason
    assert ledger() == before and verify().ok
    assert not JournalEntry.objects.filter(kind__in=[EntryKind.REFUND, EntryKind.CHARGEBACK]).exists()
    alerts = [m for m in mail.outbox if ev["id"] in m.subject]
    assert len(alerts) == 1 and alerts[0].to == ["finance@fund.invalid"]
    # Held, not retried: the worker leaves it, and Stripe's next delivery changes nothing.
    run_worker()
    assert deliver(client, ev).status_code == 200
    assert StripeEvent.objects.get(event_id=ev["id"]).status == EventStatus.SUSPENSE
    assert ledger() == before


def test_a_refund_in_the_gifts_currency_is_still_booked(client, gift, mode):
    ev = kit.event("charge.refunded", kit.charge_for(gift, refunded=3000, refunds=[kit.refund_for(gift, 3000)]))
    assert deliver(client, ev).status_code == 200
    settle(mode)
    assert StripeEvent.objects.get(event_id=ev["id"]).status == EventStatus.PROCESSED
    assert JournalEntry.objects.get(kind=EntryKind.REFUND).amount == D("30.00")


# --- impossible amounts ---------------------------------------------------------------------------


def refund_of(amount):
    def make(gift):
        refund = kit.refund_for(gift, 0)
        if amount is MISSING:
            del refund["amount"]
        else:
            refund["amount"] = amount
        return "charge.refunded", kit.charge_for(gift, refunded=10000, refunds=[refund])

    return make


def refunded_total_of(amount):
    def make(gift):
        charge = kit.charge_for(gift)
        charge.pop("refunds", None)
        if amount is MISSING:
            del charge["amount_refunded"]
        else:
            charge["amount_refunded"] = amount
        return "charge.refunded", charge

    return make


def dispute_of(amount):
    def make(gift):
        dispute = kit.dispute_for(gift)
        if amount is MISSING:
            del dispute["amount"]
        else:
            dispute["amount"] = amount
        return "charge.dispute.created", dispute

    return make


def two_refunds_above_the_gift(gift):
    refunds = [kit.refund_for(gift, 7000, 1), kit.refund_for(gift, 7000, 2)]
    return "charge.refunded", kit.charge_for(gift, refunded=14000, refunds=refunds)


def fee_of(amount):
    def make(gift):
        txn = kit.obj("balance_transaction", id="txn_test_fee_bad", fee=amount, currency="cny", amount=10000)
        return "charge.updated", kit.charge_for(gift, balance_transaction=txn)

    return make


MISSING = object()
LITERAL = PLACEHOLDER  # the amount is written into the body as raw JSON text

# (make, literal written into the body or None, what the reason says)
IMPOSSIBLE = [
    pytest.param(refund_of(LITERAL), "1e309", "不是有限的数", id="refund-1e309"),
    pytest.param(refund_of(LITERAL), "NaN", "不是有限的数", id="refund-nan"),
    pytest.param(refund_of(LITERAL), "-Infinity", "不是有限的数", id="refund-minus-infinity"),
    pytest.param(refund_of(10**40), None, "大得不可能", id="refund-10e40"),
    pytest.param(refund_of(3000.0), None, "不是整数", id="refund-float"),
    pytest.param(refund_of(2999.5), None, "不是整数", id="refund-fraction"),
    pytest.param(refund_of("3000"), None, "不是整数", id="refund-string"),
    pytest.param(refund_of(True), None, "不是整数", id="refund-boolean"),
    pytest.param(refund_of(-3000), None, "不能为负数", id="refund-negative"),
    pytest.param(refund_of(0), None, "必须大于零", id="refund-zero"),
    pytest.param(refund_of(MISSING), None, "缺少", id="refund-missing"),
    pytest.param(refund_of(15000), None, "超过", id="refund-above-the-gift"),
    pytest.param(two_refunds_above_the_gift, None, "超过", id="refunds-together-above-the-gift"),
    pytest.param(refunded_total_of(LITERAL), "1e309", "不是有限的数", id="refunded-total-1e309"),
    pytest.param(refunded_total_of(10**40), None, "大得不可能", id="refunded-total-10e40"),
    pytest.param(refunded_total_of(4000.0), None, "不是整数", id="refunded-total-float"),
    pytest.param(refunded_total_of(-1), None, "不能为负数", id="refunded-total-negative"),
    pytest.param(refunded_total_of(MISSING), None, "缺少", id="refunded-total-missing"),
    pytest.param(refunded_total_of(10001), None, "超过", id="refunded-total-above-the-gift"),
    pytest.param(dispute_of(LITERAL), "NaN", "不是有限的数", id="dispute-nan"),
    pytest.param(dispute_of(10**40), None, "大得不可能", id="dispute-10e40"),
    pytest.param(dispute_of("10000"), None, "不是整数", id="dispute-string"),
    pytest.param(dispute_of(-10000), None, "不能为负数", id="dispute-negative"),
    pytest.param(dispute_of(MISSING), None, "缺少", id="dispute-missing"),
    pytest.param(dispute_of(10001), None, "超过", id="dispute-above-the-gift"),
    pytest.param(fee_of(290.0), None, "不是整数", id="fee-float"),
    pytest.param(fee_of(-290), None, "不能为负数", id="fee-negative"),
    pytest.param(fee_of(20000), None, "超过", id="fee-above-the-gift"),
]


@pytest.mark.parametrize("make, literal, says", IMPOSSIBLE)
def test_an_impossible_amount_is_refused_for_good_and_answered_200(
    client, gift, mode, make, literal, says, django_capture_on_commit_callbacks
):
    before = ledger()
    type_, data = make(gift)
    ev = kit.event(type_, data)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver(client, ev, literal)
        settle(mode)
    assert response.status_code == 200
    event = StripeEvent.objects.get(event_id=ev["id"])
    assert event.status == EventStatus.REFUSED
    assert says in event.reason
    assert event.processed_at is not None
    assert ledger() == before and verify().ok
    assert [m for m in mail.outbox if ev["id"] in m.subject]
    # Final: neither the worker nor Stripe's retries take it up again, and nobody is alerted twice.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run_worker()
        assert deliver(client, ev, literal).status_code == 200
    assert StripeEvent.objects.get(event_id=ev["id"]).status == EventStatus.REFUSED
    assert stripe_events.events_process_queue() == 0
    assert ledger() == before and not mail.outbox


def test_a_refused_refund_books_none_of_its_refunds(client, gift):
    """One good refund and one impossible one in the same event: neither is booked."""
    refunds = [kit.refund_for(gift, 3000, 1), dict(kit.refund_for(gift, 0, 2), amount=-5)]
    ev = kit.event("charge.refunded", kit.charge_for(gift, refunded=3000, refunds=refunds))
    assert deliver(client, ev).status_code == 200
    assert StripeEvent.objects.get(event_id=ev["id"]).status == EventStatus.REFUSED
    assert not JournalEntry.objects.filter(kind=EntryKind.REFUND).exists()


def test_an_impossible_amount_on_a_payment_not_received_yet_is_refused_at_once(client):
    """Refused rather than waiting for a payment: nothing it could wait for would make it possible."""
    stranger = Donation(pk=424242, amount=D("10.00"))
    refund = dict(kit.refund_for(stranger, 0), amount=2.5)
    ev = kit.event("charge.refunded", kit.charge_for(stranger, refunded=1000, refunds=[refund]))
    assert deliver(client, ev).status_code == 200
    assert StripeEvent.objects.get(event_id=ev["id"]).status == EventStatus.REFUSED


def test_a_session_paid_with_a_float_amount_is_refused_and_no_gift_is_recorded(client):
    donation = donation_services.donation_start(amount="50.00")
    Donation.objects.filter(pk=donation.pk).update(stripe_session_id=f"cs_test_{donation.pk:08d}")
    donation.refresh_from_db()
    ev = kit.event("checkout.session.completed", kit.session_for(donation, amount_total=5000.0))
    assert deliver(client, ev).status_code == 200
    assert StripeEvent.objects.get(event_id=ev["id"]).status == EventStatus.REFUSED
    assert not JournalEntry.objects.exists()
    assert Donation.objects.get(pk=donation.pk).inflow is None


def test_finance_see_refused_events_and_the_reason_in_chinese(client, gift, finance):
    ev = kit.event(*refund_of(15000)(gift))
    assert deliver(client, ev).status_code == 200
    client.force_login(finance)
    page = client.get(reverse("stripeevent:index"), {"status": "refused"}).content.decode()
    assert ev["id"] in page and "已拒收" in page and "超过" in page
    event = StripeEvent.objects.get(event_id=ev["id"])
    inspect = client.get(reverse("stripeevent:inspect", args=[event.pk])).content.decode()
    assert "已拒收" in inspect and "¥150.00" in inspect and "¥100.00" in inspect


def test_a_body_nested_deeper_than_json_can_parse_is_refused_with_400(client):
    body = b"[" * 100_000
    response = client.post(
        "/stripe/webhook/", data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=kit.sign(body)
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
