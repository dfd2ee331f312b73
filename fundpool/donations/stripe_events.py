"""Stripe's events: stored once on arrival (the inbox and the exactly-once record), then processed: a paid session books the gift, refunds and disputes are booked as reversing entries, an event in the wrong currency is held, an impossible one refused."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fundpool import system_reasons
from fundpool.donations.amounts import _amount, _currency, _minor, _non_finite, _shown, _storable
from fundpool.donations.outcomes import Deferred, Held, Refused, Unbookable
from fundpool.donations.services import DonationError, _alert_staff, _match, _send_acknowledgement
from fundpool.errors import FundpoolError, InvalidAmount, NotReversible
from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Restriction
from fundpool.ledger.selectors import inflow_taken_back
from fundpool.models import (
    Donation,
    DonationChannel,
    DonationStatus,
    EntryKind,
    EventStatus,
    JournalEntry,
    SourceType,
    StripeEvent,
)
from fundpool.money import ZERO, format_amount

logger = logging.getLogger(__name__)


def _created(payload: dict) -> datetime:
    try:
        return datetime.fromtimestamp(int(payload.get("created") or 0), tz=UTC)
    except (TypeError, ValueError, OverflowError):
        return timezone.now()


def event_store(payload: dict) -> StripeEvent:
    """Store an event once by its id (a second delivery finds the first row)."""
    event_id = str(payload.get("id") or "")[:255]
    if not event_id.startswith("evt_"):
        raise DonationError(_("This is not a Stripe event."))
    event = StripeEvent(
        event_id=event_id,
        type=str(payload.get("type") or "")[:100],
        created=_created(payload),
        payload=payload,
        received_at=timezone.now(),
    )
    non_finite = _non_finite(payload)
    if non_finite is not None:
        # 1e309 or NaN: no amount, and no JSON column can hold it. Refused as it arrives, whoever
        # would process it, and kept (with the number as the text it was sent as) for staff.
        field, token = non_finite
        event.payload = _storable(payload)
        event.status, event.processed_at = EventStatus.REFUSED, timezone.now()
        event.reason_code, event.reason_params = "not_finite", {"field": field, "value": token}
        event.note = "refused: not_finite"
    # A new event is inserted and a repeat (Stripe retries, or sends one event several times) is
    # found, without a failed insert or a rolled-back savepoint, whoever else delivers the same
    # event at the same moment: on PostgreSQL in one statement either way.
    stored = _insert_or_find(event)
    if stored is None:  # inserted by a concurrent delivery after this statement's snapshot
        stored = StripeEvent.objects.defer("payload").get(event_id=event_id)
    elif stored is event and non_finite is not None:
        _alert_event(stored)
    stored.is_new = stored is event  # this delivery stored it (a repeat finds the first one's row)
    return stored


def _insert_or_find(event: StripeEvent) -> StripeEvent | None:
    """INSERT … ON CONFLICT (event_id) DO NOTHING RETURNING; on PostgreSQL the same statement also
    reads the row already there (without its payload). Returns `event` with its id if it was new,
    the stored row if it was a repeat, or None if neither could be seen."""
    meta, qn = StripeEvent._meta, connection.ops.quote_name
    table, id_col = qn(meta.db_table), qn(meta.pk.column)
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(event, add=True), connection) for f in fields]
    insert = (
        f"INSERT INTO {table} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT ({qn('event_id')}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"{insert} RETURNING {id_col}", values)
            row = cursor.fetchone()
            if row is None:
                return StripeEvent.objects.defer("payload").filter(event_id=event.event_id).first()
            event.pk = row[0]
            return event
        read = [f for f in meta.concrete_fields if f.name != "payload"]
        columns = ", ".join(qn(f.column) for f in read)
        cursor.execute(
            f"WITH new AS ({insert} RETURNING {id_col}) "
            f"SELECT {id_col}, {', '.join(['NULL'] * (len(read) - 1))}, true FROM new "
            f"UNION ALL SELECT {columns}, false FROM {table} WHERE {qn('event_id')} = %s",
            [*values, event.event_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    if row[-1]:  # new
        event.pk = row[0]
        return event
    return StripeEvent.from_db(connection.alias, [f.attname for f in read], row[:-1])


def event_receive(payload: dict) -> StripeEvent:
    """Store and process one verified event. Safe to call any number of times, concurrently."""
    return event_settle(event_store(payload))


def event_settle(event: StripeEvent) -> StripeEvent:
    """Process a stored event, then any refund or dispute that came before its payment and waited
    for it. Safe to call any number of times, concurrently (the webhook, a job, the sweep)."""
    if event.status in FINAL:
        return event  # done before: nothing to lock, nothing to do
    event = event_process(event)
    if event.type in FULFILLING and event.status == EventStatus.PROCESSED and event.payment_intent:
        replay_deferred(payment_intent=event.payment_intent)
    return event


FULFILLING = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}


# Decided for good: never processed again, whoever delivers or queues the event.
FINAL = (EventStatus.PROCESSED, EventStatus.IGNORED, EventStatus.SUSPENSE, EventStatus.REFUSED)


HANDLED = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.succeeded",
    "charge.updated",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
}


def event_process(event: StripeEvent) -> StripeEvent:
    with transaction.atomic():
        event = StripeEvent.objects.select_for_update().get(pk=event.pk)
        if event.status in FINAL:
            return event
        if event.type not in HANDLED:
            logger.info("stripe event %s of type %s ignored", event.event_id, event.type)
            event.status, event.processed_at = EventStatus.IGNORED, timezone.now()
            event.save(update_fields=["status", "processed_at"])
            return event
        obj = (event.payload.get("data") or {}).get("object") or {}
        try:
            with transaction.atomic():
                if event.type in FULFILLING:
                    # Booked when Stripe says it was paid, not when it is processed: a gift paid
                    # at 23:59 on 31 December belongs to that year however late it is recorded.
                    note = _fulfil(obj, paid_at=event.created) or ""
                else:
                    note = _HANDLERS[event.type](obj) or ""
        except Deferred as waiting:
            event.status, event.note = EventStatus.DEFERRED, str(waiting)[:500]
            event.payment_intent = _payment_intent_of(obj)
            event.save(update_fields=["status", "note", "payment_intent"])
            return event
        except Unbookable as why:
            # Whatever the handler had booked is rolled back; the event is decided for good.
            event.status, event.reason_code, event.reason_params = why.status, why.code, why.params
            event.note, event.processed_at = f"{why.status}: {why.code}", timezone.now()
            event.payment_intent = event.payment_intent or _payment_intent_of(obj)
            event.save(
                update_fields=["status", "reason_code", "reason_params", "note", "processed_at", "payment_intent"]
            )
            _alert_event(event)
            return event
        event.status, event.note, event.processed_at = EventStatus.PROCESSED, str(note)[:500], timezone.now()
        event.payment_intent = event.payment_intent or _payment_intent_of(obj)
        event.save(update_fields=["status", "note", "processed_at", "payment_intent"])
    return event


def _payment_intent_of(obj: dict) -> str:
    pi = obj.get("payment_intent")
    if isinstance(pi, dict):
        pi = pi.get("id")
    return str(pi or "")[:255]


def _session_donation(session: dict) -> Donation | None:
    found = Donation.objects.select_for_update().filter(stripe_session_id=session.get("id")).first()
    if found is None:
        ref = str(session.get("client_reference_id") or (session.get("metadata") or {}).get("donation") or "")
        if ref.isdecimal():  # not isdigit: "²" is a digit that int() refuses
            found = (
                Donation.objects.select_for_update()
                .filter(pk=int(ref), channel=DonationChannel.STRIPE, stripe_session_id__isnull=True)
                .first()
            )
    return found


def _fulfil(session: dict, paid_at: datetime | None = None) -> str:
    if session.get("payment_status") != "paid":
        return "not paid yet (an asynchronous payment method); waiting for its outcome"
    currency = str(session.get("currency") or "").upper()
    units = _minor(session, "amount_total", at="data.object", zero_ok=True)
    try:
        paid = _amount(units, currency)
    except FundpoolError:  # a currency we do not know
        paid = None
    donation = _session_donation(session)
    if donation is None:
        # A payment we never asked for: keep it visible, outside the pool, for staff to sort out.
        donation = Donation.objects.create(
            channel=DonationChannel.STRIPE,
            status=DonationStatus.SUSPENSE,
            amount=paid if paid and paid > 0 else Decimal("0.01"),
            currency=currency[:3] or "CNY",
            stripe_session_id=str(session.get("id"))[:255],
            suspense_reason=system_reasons.encode("fund.suspense_unknown_session", session=str(session.get("id"))),
        )
        _alert_staff(donation)
        return f"suspense: unknown session {session.get('id')}"
    if donation.status == DonationStatus.CONFIRMED:
        return f"donation #{donation.pk} already received"
    donation.stripe_session_id = donation.stripe_session_id or str(session.get("id"))[:255]
    donation.stripe_payment_intent = _payment_intent_of(session) or donation.stripe_payment_intent
    if currency != donation.currency or paid != donation.amount:
        donation.status = DonationStatus.SUSPENSE
        donation.suspense_reason = system_reasons.encode(
            "fund.suspense_amount_differs",
            units=str(session.get("amount_total")),
            currency=currency or "?",
            amount=donation.amount,
            gift_currency=donation.currency,
        )
        donation.save(update_fields=["status", "suspense_reason", "stripe_session_id", "stripe_payment_intent"])
        _alert_staff(donation)
        return f"suspense: donation #{donation.pk} amount or currency differs"
    now = timezone.now()
    paid_at = min(paid_at or now, now)  # never in the future, whatever a clock says
    inflow = ledger_services.inflow_record(
        source_type=SourceType.DONATION,
        amount=donation.amount,
        currency=donation.currency,
        received_on=timezone.localdate(paid_at),
        effective_at=paid_at,
        restriction=Restriction.of(donation),
        external_ref=f"stripe:cs:{session.get('id')}",
        description=system_reasons.encode("fund.online_gift", n=donation.pk),
        payer_name=donation.display_name,
        anonymous=donation.anonymous or not donation.display_name,
    )
    donation.inflow, donation.status, donation.confirmed_at = inflow, DonationStatus.CONFIRMED, timezone.now()
    donation.save(update_fields=["inflow", "status", "confirmed_at", "stripe_session_id", "stripe_payment_intent"])
    _match(donation, received_on=timezone.localdate(paid_at))
    if donation.email:
        transaction.on_commit(lambda: _send_acknowledgement(donation.pk))
    return f"donation #{donation.pk} received as inflow #{inflow.pk}"


def replay_deferred(*, payment_intent: str) -> int:
    """Events that waited for this payment (a refund or dispute that came first) run now."""
    done = 0
    for event in StripeEvent.objects.filter(status=EventStatus.DEFERRED, payment_intent=payment_intent).order_by(
        "created", "pk"
    ):
        if event_process(event).status == EventStatus.PROCESSED:
            done += 1
    return done


def _close(session: dict, status: str) -> str:
    donation = _session_donation(session)
    if donation is None:
        return "no donation of ours"
    if donation.status in (DonationStatus.PENDING, DonationStatus.CANCELLED):
        donation.status = status
        donation.save(update_fields=["status"])
        return f"donation #{donation.pk} closed: {status}"
    return f"donation #{donation.pk} is {donation.status}; left as it is"


def _charge_donation(obj: dict, charge_id: str | None) -> Donation:
    """The received gift a charge, refund or dispute belongs to; Deferred if we haven't got it yet."""
    pi = _payment_intent_of(obj)
    donation = None
    if charge_id:
        donation = Donation.objects.select_for_update().filter(stripe_charge_id=charge_id).first()
    if donation is None and pi:
        donation = Donation.objects.select_for_update().filter(stripe_payment_intent=pi).first()
    if donation is None or donation.status != DonationStatus.CONFIRMED:
        raise Deferred(f"payment {pi or charge_id} not received yet")
    if charge_id and not donation.stripe_charge_id:
        donation.stripe_charge_id = charge_id[:255]
        donation.save(update_fields=["stripe_charge_id"])
    return donation


def _booked(external_ref: str) -> JournalEntry | None:
    return JournalEntry.objects.filter(external_ref=external_ref).first()


def _alert_event(event: StripeEvent) -> None:
    """Staff hear of an event held or refused (in the site's language), once, when it is decided."""
    from django.core.mail import mail_managers

    with translation.override(settings.LANGUAGE_CODE):
        body = f"{event.get_status_display()}\n{event.type} {event.event_id}\n{event.reason}"
        subject = _("Stripe event %(id)s: %(status)s") % {"id": event.event_id, "status": event.get_status_display()}

    def send():
        try:
            mail_managers(subject, body)
        except Exception:  # noqa: BLE001 - an alert must not undo the decision
            logger.exception("could not alert staff about stripe event %s", event.event_id)

    logger.warning("stripe event %s %s: %s %s", event.event_id, event.status, event.reason_code, event.reason_params)
    transaction.on_commit(send)


def _take_back(kind: str, donation: Donation, amount: Decimal, ref: str, description: str) -> None:
    """Book a refund or chargeback against the gift, or refuse the event: a gift cannot give back
    more than it brought."""
    record = ledger_services.refund_record if kind == "refund" else ledger_services.chargeback_record
    try:
        record(inflow=donation.inflow, amount=amount, external_ref=ref, description=description)
    except InvalidAmount:
        left = donation.inflow.amount - inflow_taken_back(inflow=donation.inflow)
        raise Refused(
            f"{kind}_exceeds_gift",
            amount=format_amount(amount, donation.currency),
            donation=donation.pk,
            left=format_amount(left, donation.currency),
            total=format_amount(donation.inflow.amount, donation.currency),
        ) from None
    except NotReversible:
        raise Held("inflow_reversed", donation=donation.pk) from None


def _book_fee(donation: Donation, units: int, ref: str, description: str) -> None:
    """Book a processing fee against the gift, or refuse the event: no fee exceeds the gift."""
    amount = _amount(units, donation.currency)
    try:
        ledger_services.fee_record(inflow=donation.inflow, amount=amount, external_ref=ref, description=description)
    except InvalidAmount:
        raise Refused(
            "fee_exceeds_gift",
            amount=format_amount(amount, donation.currency),
            donation=donation.pk,
            total=format_amount(donation.inflow.amount, donation.currency),
        ) from None
    except NotReversible:
        raise Held("inflow_reversed", donation=donation.pk) from None


def _charge_id(value) -> str | None:
    if isinstance(value, dict):  # an expanded charge
        value = value.get("id")
    return str(value)[:255] if value else None


def _fee(charge: dict) -> str:
    txn = charge.get("balance_transaction")
    reported = isinstance(txn, dict) and txn.get("fee")
    units = _minor(txn, "fee", at="data.object.balance_transaction") if reported else None
    donation = _charge_donation(charge, _charge_id(charge.get("id")))
    if units is None:
        return "no fee reported"
    currency = _currency(txn.get("currency"))
    if currency != donation.currency:
        return f"fee in {currency}, not the pool's currency; not booked"
    ref = f"stripe:fee:{txn.get('id')}"
    if _booked(ref):
        return "fee already booked"
    _book_fee(donation, units, ref, "Stripe fee")
    return f"fee {units} booked"


def _refund_list(charge: dict) -> list[tuple[str, int, str]] | None:
    """The charge's refunds that took money back (id, minor units, currency), checked; None when the
    charge carries no list (then its cumulative `amount_refunded` counts)."""
    listing = charge.get("refunds")
    if listing is None:
        return None
    if not isinstance(listing, dict) or not isinstance(listing.get("data", []), list):
        raise Refused("malformed", field="data.object.refunds", value=_shown(listing))
    found = []
    for i, refund in enumerate(listing.get("data") or []):
        at = f"data.object.refunds.data[{i}]"
        if not isinstance(refund, dict):
            raise Refused("malformed", field=at, value=_shown(refund))
        if refund.get("status") not in ("succeeded", "pending"):
            continue
        if not isinstance(refund.get("id"), str) or not refund["id"]:
            raise Refused("missing", field=f"{at}.id")
        found.append((refund["id"], _minor(refund, "amount", at=at), _currency(refund.get("currency"))))
    return found or None


def _refund(charge: dict) -> str:
    # Checked before the payment is looked for: nothing it could wait for makes it possible.
    refunds = _refund_list(charge)
    total = None if refunds else _minor(charge, "amount_refunded", at="data.object", zero_ok=True)
    donation = _charge_donation(charge, _charge_id(charge.get("id")))
    charge_currency = _currency(charge.get("currency"), donation.currency)
    currencies = {_currency(c, charge_currency) for _id, _units, c in refunds} if refunds else {charge_currency}
    foreign = sorted(currencies - {donation.currency})
    if foreign:  # booked as if it were the gift's currency, it would give back the wrong sum
        raise Held("refund_currency", currency=", ".join(foreign), expected=donation.currency, donation=donation.pk)
    booked = []
    if refunds:
        for refund_id, units, _c in refunds:
            ref = f"stripe:re:{refund_id}"
            if _booked(ref):
                continue
            _take_back("refund", donation, _amount(units, donation.currency), ref, "Stripe refund")
            booked.append(ref)
    else:
        # Without the refund list, book what the cumulative amount refunded adds to what we have.
        total_amount = _amount(total, donation.currency)
        already = (
            JournalEntry.objects.filter(
                inflow=donation.inflow, kind=EntryKind.REFUND, reversed_by__isnull=True
            ).aggregate(t=Sum("amount"))["t"]
            or ZERO
        )
        if total_amount > already:
            ref = f"stripe:ch:{charge.get('id')}:refunded:{total}"
            if not _booked(ref):
                _take_back("refund", donation, total_amount - already, ref, "Stripe refund")
                booked.append(ref)
    return f"refunds booked: {', '.join(booked) or 'none new'}"


def _dispute_created(dispute: dict) -> str:
    units = _minor(dispute, "amount", at="data.object")
    txns = dispute.get("balance_transactions") or []
    if not isinstance(txns, list):
        raise Refused("malformed", field="data.object.balance_transactions", value=_shown(txns))
    fees = []
    for i, txn in enumerate(txns):
        if isinstance(txn, dict) and txn.get("fee"):
            fees.append((txn, _minor(txn, "fee", at=f"data.object.balance_transactions[{i}]")))
    donation = _charge_donation(dispute, _charge_id(dispute.get("charge")))
    ref = f"stripe:dp:{dispute.get('id')}"
    if _booked(ref):
        return "dispute already booked"
    currency = _currency(dispute.get("currency"), donation.currency)
    if currency != donation.currency:
        raise Held("dispute_currency", currency=currency, expected=donation.currency, donation=donation.pk)
    _take_back("dispute", donation, _amount(units, currency), ref, "Stripe dispute")
    for txn, fee_units in fees:
        if _currency(txn.get("currency")) == donation.currency:
            fee_ref = f"stripe:fee:{txn.get('id')}"
            if not _booked(fee_ref):
                _book_fee(donation, fee_units, fee_ref, "Stripe dispute fee")
    return f"chargeback booked for donation #{donation.pk}"


def _dispute_closed(dispute: dict) -> str:
    ref = f"stripe:dp:{dispute.get('id')}"
    entry = _booked(ref)
    if dispute.get("status") == "won":
        if entry is None:
            return "dispute won; no chargeback had been booked"
        if JournalEntry.objects.filter(reversal_of=entry).exists():
            return "chargeback already reinstated"
        ledger_services.entry_reverse(entry=entry, reason=f"Stripe dispute {dispute.get('id')} won")
        return "dispute won: money reinstated"
    if dispute.get("status") == "lost" and entry is None:
        return _dispute_created(dispute)
    return f"dispute closed: {dispute.get('status')}"


_HANDLERS = {
    "checkout.session.completed": _fulfil,
    "checkout.session.async_payment_succeeded": _fulfil,
    "checkout.session.async_payment_failed": lambda s: _close(s, DonationStatus.FAILED),
    "checkout.session.expired": lambda s: _close(s, DonationStatus.EXPIRED),
    "charge.succeeded": _fee,
    "charge.updated": _fee,
    "charge.refunded": _refund,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}


def events_process_queue(*, limit: int = 200, retry_failed: bool = True) -> int:
    """Process stored events that are waiting (queued by the webhook, or failed earlier), oldest
    first. Several workers may run at once: each takes rows the others have not locked."""
    done, tried = 0, set()
    while done < limit:
        with transaction.atomic():
            batch = list(
                StripeEvent.objects.select_for_update(skip_locked=True)
                .filter(
                    status__in=[EventStatus.RECEIVED, EventStatus.FAILED] if retry_failed else [EventStatus.RECEIVED]
                )
                .exclude(pk__in=tried)  # one try per call: a failing event must not be taken round and round
                .order_by("created", "pk")[: min(50, limit - done)]
            )
        if not batch:
            break
        for event in batch:
            tried.add(event.pk)
            try:
                event_settle(event)
            except Exception:  # noqa: BLE001 - one bad event must not stop the queue
                logger.exception("stripe event %s failed", event.event_id)
                StripeEvent.objects.filter(pk=event.pk, status=EventStatus.RECEIVED).update(status=EventStatus.FAILED)
                continue
            done += 1
    return done
