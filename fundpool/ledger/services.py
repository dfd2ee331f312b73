"""Writes to the ledger: money received (inflows, with their documents), pledges, fees, refunds and chargebacks, the shortfall covered, entries reversed. Each service is one transaction, keyword-only, and raises `FundpoolError` (with a translated message) when a business rule refuses it; then nothing is written."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.uploads import UploadRefused, accept_upload, upload_label
from fundpool.errors import (
    AlreadyReversed,
    FundpoolError,
    InsufficientFunds,
    InvalidAmount,
    NotReversible,
    OverCommitment,
    PledgeError,
)
from fundpool.ledger import engine as ledger
from fundpool.ledger.commitments import _check_commitment_lots_after
from fundpool.ledger.engine import Draft, Purpose, Restriction
from fundpool.ledger.posting import check_external_ref_free, clean_ref, post_draft
from fundpool.ledger.selectors import inflow_taken_back
from fundpool.models import (
    AccountKind,
    EntryKind,
    Funder,
    Inflow,
    InflowDocument,
    JournalEntry,
    LotMovement,
    Pledge,
    PledgeStatus,
    SourceType,
)
from fundpool.money import check_currency, parse_amount

ZERO = Decimal("0.00")


@transaction.atomic
def inflow_record(
    *,
    source_type: str,
    amount,
    received_on: date,
    restriction: Restriction = Restriction(),
    currency: str | None = None,
    funder: Funder | None = None,
    pledge: Pledge | None = None,
    fee=None,
    external_ref: str | None = None,
    description: str = "",
    payer_name: str = "",
    anonymous: bool = False,
    actor=None,
    effective_at: datetime | None = None,
) -> Inflow:
    """Money received: one lot, and one entry income:<source> → available:<restriction>.

    A processor fee known at the time is booked in the same entry (available → fees)."""
    currency = check_currency(currency)
    amount = parse_amount(amount, currency)
    fee_amount = parse_amount(fee, currency) if fee not in (None, "", 0, "0") else ZERO
    if fee_amount >= amount:
        raise InvalidAmount(_("The fee must be less than the amount received."))
    if source_type not in SourceType.values:
        raise InvalidAmount(_("Unknown source type “%(value)s”."), value=str(source_type)[:40])
    if funder is not None and funder.source_type != source_type:
        raise InvalidAmount(
            _("%(funder)s is a %(type)s funder; record its money under that source type."),
            funder=funder.name,
            type=funder.get_source_type_display(),
        )
    if source_type not in (SourceType.DONATION, SourceType.RECOVERY) and funder is None:
        raise InvalidAmount(_("Name the funder; only public small donations come without one."))
    if received_on is None:
        raise InvalidAmount(_("Give the date the money was received."))
    if received_on > timezone.localdate():
        raise InvalidAmount(_("Money cannot be received in the future; record a pledge instead."))
    restriction.validate(received_on=received_on)
    external_ref = clean_ref(external_ref, label=_("The external reference"))
    check_external_ref_free(external_ref)

    income = ledger.income_account(source_type, currency)
    bucket = ledger.available_account(restriction.kind, restriction.theme, restriction.call_ref, currency)
    draft = Draft(
        kind=EntryKind.INFLOW,
        amount=amount,
        currency=currency,
        memo=description,
        external_ref=external_ref,
    )
    draft.transfer(income, bucket, amount)
    if fee_amount:
        draft.transfer(bucket, ledger.system_account(AccountKind.FEES, currency), fee_amount)
    lot = Inflow(
        source_type=source_type,
        funder=funder,
        pledge=pledge,
        amount=amount,
        currency=currency,
        available=ZERO,
        received_on=received_on,
        description=description[:300],
        payer_name=payer_name[:200],
        anonymous=anonymous,
        **restriction.as_fields(),
    )
    # The lot row needs its entry first and the entry's lot moves need the lot: post, then attach.
    lot_moves_after = [(LotMovement.Kind.RECEIVE, amount)]
    if fee_amount:
        lot_moves_after.append((LotMovement.Kind.CHARGE, -fee_amount))
    if effective_at is None:
        # Balances "as of a date" count the money from the day it arrived.
        effective_at = (
            timezone.now()
            if received_on >= timezone.localdate()
            else timezone.make_aware(datetime.combine(received_on, time.min))
        )
    entry = post_draft(draft, actor=actor, effective_at=effective_at)
    lot.entry = entry
    lot.created_by = actor if actor is not None and actor.is_authenticated else None
    # The fields are checked here; the check constraints (amount > 0, available ≥ 0) are the
    # database's, which refuses the row anyway; validating them here would cost a query each.
    lot.full_clean(exclude=["entry", "created_by", "theme", "funder", "pledge"], validate_constraints=False)
    lot.save()
    for kind, delta in lot_moves_after:
        LotMovement.objects.create(entry=entry, lot=lot, kind=kind, available_delta=delta)
    Inflow.objects.filter(pk=lot.pk).update(available=amount - fee_amount)
    lot.available = amount - fee_amount
    return lot


@transaction.atomic
def inflow_attach_document(*, inflow: Inflow, title: str, file, actor=None) -> InflowDocument:
    title = upload_label(title or getattr(file, "name", ""), limit=200)
    try:
        file, content_type = accept_upload(file)
    except UploadRefused as exc:
        raise FundpoolError(exc.message, **exc.params) from None
    document = InflowDocument(
        inflow=inflow,
        title=title,
        file=file,
        content_type=content_type,
        size=file.size,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    document.full_clean(exclude=["inflow", "uploaded_by"])
    document.save()
    audit.record(inflow, "fund.inflow_document", by=actor, title=document.title, size=document.size)
    return document


@transaction.atomic
def pledge_record(
    *,
    funder: Funder,
    amount,
    pledged_on: date,
    restriction: Restriction = Restriction(),
    expected_by: date | None = None,
    currency: str | None = None,
    description: str = "",
    actor=None,
) -> Pledge:
    """Money promised: kept in the pledge register, outside every balance, until received."""
    currency = check_currency(currency)
    amount = parse_amount(amount, currency)
    if pledged_on is None:
        raise PledgeError(_("Give the date of the pledge."))
    if expected_by is not None and expected_by < pledged_on:
        raise PledgeError(_("The expected date cannot be before the pledge date."))
    restriction.validate()
    pledge = Pledge(
        funder=funder,
        amount=amount,
        currency=currency,
        pledged_on=pledged_on,
        expected_by=expected_by,
        description=description[:300],
        created_by=actor if actor is not None and actor.is_authenticated else None,
        **restriction.as_fields(),
    )
    pledge.save()
    audit.record(pledge, "fund.pledge_record", by=actor, funder=funder.name, amount=amount, currency=currency)
    return pledge


@transaction.atomic
def pledge_receive(
    *,
    pledge: Pledge,
    amount,
    received_on: date,
    external_ref: str | None = None,
    description: str = "",
    actor=None,
) -> Inflow:
    """Part (or all) of a pledge arrives: it becomes an inflow with the pledge's restriction."""
    pledge = (
        Pledge.objects.select_for_update(of=("self",), no_key=True).select_related("funder", "theme").get(pk=pledge.pk)
    )
    amount = parse_amount(amount, pledge.currency)
    if pledge.status != PledgeStatus.OPEN:
        raise PledgeError(_("This pledge is %(status)s; it takes no more money."), status=pledge.get_status_display())
    if amount > pledge.outstanding:
        raise PledgeError(
            _("Only %(outstanding)s of this pledge is outstanding; %(amount)s is more than that."),
            outstanding=pledge.outstanding,
            amount=amount,
        )
    if received_on is not None and received_on < pledge.pledged_on:
        raise PledgeError(_("Money cannot arrive before it was pledged."))
    inflow = inflow_record(
        source_type=pledge.funder.source_type,
        funder=pledge.funder,
        pledge=pledge,
        amount=amount,
        currency=pledge.currency,
        received_on=received_on,
        restriction=Restriction.of(pledge),
        external_ref=external_ref,
        description=description or pledge.description,
        actor=actor,
    )
    pledge.received += amount
    if pledge.received == pledge.amount:
        pledge.status = PledgeStatus.FULFILLED
    pledge.save(update_fields=["received", "status"])
    return inflow


@transaction.atomic
def pledge_cancel(*, pledge: Pledge, reason: str, actor=None) -> Pledge:
    """The rest of a pledge will not come. What was received stays received."""
    pledge = Pledge.objects.select_for_update(no_key=True).get(pk=pledge.pk)
    if pledge.status != PledgeStatus.OPEN:
        raise PledgeError(_("Only an open pledge can be cancelled."))
    if not (reason or "").strip():
        raise PledgeError(_("Give a reason for cancelling the pledge."))
    pledge.status = PledgeStatus.CANCELLED
    pledge.cancel_reason = reason.strip()
    pledge.save(update_fields=["status", "cancel_reason"])
    audit.record(pledge, "fund.pledge_cancel", by=actor, reason=pledge.cancel_reason)
    return pledge


def _charge(*, kind: str, target_kind: str, inflow: Inflow, amount, external_ref, description, actor) -> JournalEntry:
    lot = Inflow.objects.select_related("theme").get(pk=inflow.pk)
    amount = parse_amount(amount, lot.currency)
    external_ref = clean_ref(external_ref, label=_("The external reference"))
    bucket = ledger.available_account_for_lot(lot)
    target = ledger.system_account(target_kind, lot.currency)
    shortfall = ledger.system_account(AccountKind.SHORTFALL, lot.currency)
    locked = ledger.lock_accounts([bucket, target, shortfall])
    lot = ledger.lock_lots([lot.pk])[lot.pk]
    if JournalEntry.objects.filter(reversal_of_id=lot.entry_id).exists():
        raise NotReversible(_("This inflow was reversed: nothing more can be charged against it."))
    if kind in (EntryKind.REFUND, EntryKind.CHARGEBACK):
        already = inflow_taken_back(inflow=lot)
        if amount > lot.amount - already:
            raise InvalidAmount(
                _("Only %(left)s of this %(total)s gift can still be refunded or charged back."),
                left=lot.amount - already,
                total=lot.amount,
            )
    elif amount > lot.amount:
        raise InvalidAmount(_("A fee cannot exceed the amount received."))
    check_external_ref_free(external_ref)
    from_lot = min(lot.available, amount)
    draft = Draft(
        kind=kind,
        amount=amount,
        currency=lot.currency,
        memo=description,
        external_ref=external_ref,
        inflow=lot,
    )
    draft.transfer(locked[bucket.pk], locked[target.pk], from_lot)
    # Whatever is no longer in the lot was committed or spent: the pool owes it (shortfall).
    draft.transfer(locked[shortfall.pk], locked[target.pk], amount - from_lot)
    if from_lot:
        draft.move(lot, LotMovement.Kind.CHARGE, available=-from_lot)
    return post_draft(draft, actor=actor)


@transaction.atomic
def fee_record(*, inflow: Inflow, amount, external_ref: str | None = None, description: str = "", actor=None):
    """A processing fee reported for an inflow (after it was recorded)."""
    return _charge(
        kind=EntryKind.FEE,
        target_kind=AccountKind.FEES,
        inflow=inflow,
        amount=amount,
        external_ref=external_ref,
        description=description,
        actor=actor,
    )


@transaction.atomic
def refund_record(*, inflow: Inflow, amount, external_ref: str | None = None, description: str = "", actor=None):
    """Money given back to its payer. What is no longer uncommitted in the lot is booked as a
    shortfall, never taken back from grants."""
    return _charge(
        kind=EntryKind.REFUND,
        target_kind=AccountKind.REFUNDS,
        inflow=inflow,
        amount=amount,
        external_ref=external_ref,
        description=description,
        actor=actor,
    )


@transaction.atomic
def chargeback_record(*, inflow: Inflow, amount, external_ref: str | None = None, description: str = "", actor=None):
    """A disputed payment taken back by the payer's bank; reinstate with `entry_reverse` if won."""
    return _charge(
        kind=EntryKind.CHARGEBACK,
        target_kind=AccountKind.CHARGEBACKS,
        inflow=inflow,
        amount=amount,
        external_ref=external_ref,
        description=description,
        actor=actor,
    )


@transaction.atomic
def shortfall_cover(*, amount=None, currency: str | None = None, description: str = "", actor=None) -> JournalEntry:
    """Cover what the pool owes (the shortfall) with unrestricted money, oldest lots first."""
    currency = check_currency(currency)
    unrestricted = ledger.available_account("unrestricted", None, "", currency)
    shortfall = ledger.system_account(AccountKind.SHORTFALL, currency)
    locked = ledger.lock_accounts([unrestricted, shortfall])
    owed = -locked[shortfall.pk].balance
    if owed <= 0:
        raise OverCommitment(_("There is no shortfall to cover."))
    amount = owed if amount is None else parse_amount(amount, currency)
    if amount > owed:
        raise OverCommitment(_("The shortfall is only %(owed)s."), owed=owed)
    unrestricted_lots = ledger.drawing_order(Purpose(), currency, timezone.localdate())
    try:
        takes = ledger.take_in_order(unrestricted_lots, amount)
    except InsufficientFunds:
        raise InsufficientFunds(
            _("There is not enough unrestricted money to cover %(amount)s."), amount=amount
        ) from None
    draft = Draft(kind=EntryKind.COVER, amount=amount, currency=currency, memo=description)
    draft.transfer(locked[unrestricted.pk], locked[shortfall.pk], amount)
    for lot, take in takes:
        draft.move(lot, LotMovement.Kind.CHARGE, available=-take)
    return post_draft(draft, actor=actor)


@transaction.atomic
def entry_reverse(*, entry: JournalEntry, reason: str, actor=None) -> JournalEntry:
    """Undo an entry with a new one that moves every amount back. History is never edited.

    Refused when later movements depend on it (e.g. reversing a commitment whose money was
    since paid out): reverse those first."""
    reason = (reason or "").strip()
    if not reason:
        raise NotReversible(_("Give a reason for the reversal."))
    entry = JournalEntry.objects.get(pk=entry.pk)
    if entry.kind == EntryKind.REVERSAL:
        raise NotReversible(_("A reversal cannot itself be reversed; record the movement again instead."))
    if JournalEntry.objects.filter(reversal_of=entry).exists():
        raise AlreadyReversed(_("Entry #%(entry)s has already been reversed."), entry=entry.pk)
    postings = list(entry.postings.select_related("account"))
    ledger.lock_accounts(p.account for p in postings)
    moves = list(entry.lot_movements.select_related("lot", "commitment"))
    ledger.lock_lots(m.lot_id for m in moves)
    # Re-check after the lock: a racing reversal would have committed by now.
    if JournalEntry.objects.filter(reversal_of=entry).exists():
        raise AlreadyReversed(_("Entry #%(entry)s has already been reversed."), entry=entry.pk)

    draft = Draft(
        kind=EntryKind.REVERSAL,
        amount=entry.amount,
        currency=entry.currency,
        memo=reason,
        reference=entry.reference,
        inflow=entry.inflow,
        reversal_of=entry,
    )
    for posting in postings:
        draft.legs.append((posting.account, -posting.amount))
    for move in moves:
        draft.move(
            move.lot,
            LotMovement.Kind.REVERSE,
            commitment=move.commitment,
            available=-move.available_delta,
            committed=-move.committed_delta,
            paid=-move.paid_delta,
        )
    _check_commitment_lots_after(moves)
    inflow = getattr(entry, "inflow_record", None) if entry.kind == EntryKind.INFLOW else None
    try:
        reversal = post_draft(draft, actor=actor)
    except InsufficientFunds:
        if entry.kind == EntryKind.INFLOW:
            raise NotReversible(
                _("Part of this money has since been committed or charged; release or reverse that first.")
            ) from None
        raise NotReversible(
            _("Later movements depend on this entry (the money has moved on); reverse those first.")
        ) from None
    if inflow is not None and inflow.pledge_id:
        pledge = Pledge.objects.select_for_update(no_key=True).get(pk=inflow.pledge_id)
        pledge.received -= inflow.amount
        if pledge.status == PledgeStatus.FULFILLED:
            pledge.status = PledgeStatus.OPEN
        pledge.save(update_fields=["received", "status"])
    audit.record(entry, "fund.entry_reverse", by=actor, reason=reason.strip(), reversal=reversal.pk)
    return reversal
