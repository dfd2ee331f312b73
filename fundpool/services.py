"""Writes to the fund pool. Each service is one transaction, keyword-only, and raises a
`FundpoolError` (with a translated message) when a business rule refuses it; then nothing is written.

Other apps use: `inflow_record`, `pledge_record`, `pledge_receive`, `commitment_commit`,
`commitment_disburse`, `commitment_release`, `entry_reverse`, `fee_record`, `refund_record`,
`chargeback_record`, `shortfall_cover`. Commitments are keyed by an opaque reference string.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import date, datetime, time
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import audit
from core.uploads import UploadRefused, accept_upload, upload_label

from . import ledger
from .errors import (
    AlreadyReversed,
    DuplicateReference,
    FundpoolError,
    InsufficientFunds,
    InvalidAmount,
    NotReversible,
    OverCommitment,
    PledgeError,
    RestrictionExpired,
    RestrictionMismatch,
    UnknownReference,
)
from .ledger import Draft, Purpose, Restriction
from .models import (
    Account,
    AccountKind,
    Commitment,
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
from .money import check_currency, parse_amount, q
from .selectors import inflow_taken_back

ZERO = Decimal("0.00")


def _clean_ref(value: str | None, *, label) -> str | None:
    value = (value or "").strip()
    if len(value) > 200:
        raise InvalidAmount(_("%(label)s is too long (at most 200 characters)."), label=label)
    return value or None


def _check_external_ref_free(external_ref: str | None) -> None:
    if external_ref and JournalEntry.objects.filter(external_ref=external_ref).exists():
        raise DuplicateReference(_("The reference “%(ref)s” has already been used."), ref=external_ref)


def _post(draft: Draft, **kwargs) -> JournalEntry:
    """Post, turning a unique-reference race into the same clear error as the check before it."""
    try:
        with transaction.atomic():
            entry = ledger.post(draft, **kwargs)
    except IntegrityError as exc:
        if draft.external_ref and "external_ref" in str(exc):
            raise DuplicateReference(
                _("The reference “%(ref)s” has already been used."), ref=draft.external_ref
            ) from None
        if draft.reversal_of is not None and "reversal_of" in str(exc):
            raise AlreadyReversed() from None
        raise
    audit.record(
        entry,
        "fund.entry_post",
        by=kwargs.get("actor"),
        kind=entry.kind,
        amount=entry.amount,
        reference=draft.reference,
        external_ref=draft.external_ref,
        memo=draft.memo,
    )
    return entry


# --- money in ---------------------------------------------------------------------------------


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
    external_ref = _clean_ref(external_ref, label=_("The external reference"))
    _check_external_ref_free(external_ref)

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
    entry = _post(draft, actor=actor, effective_at=effective_at)
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


# --- commitments ------------------------------------------------------------------------------


def _commitment_for(reference: str, purpose: Purpose, currency: str, description: str) -> Commitment:
    """The commitment under `reference`, made (with its two accounts) the first time. A reference
    keeps the purpose it was first committed for."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 120:
        raise UnknownReference(_("A commitment needs a reference of 1 to 120 characters."))
    for _attempt in range(2):
        existing = Commitment.objects.select_related("theme").filter(reference=reference).first()
        if existing is not None:
            if (existing.theme_id, existing.call_ref, existing.capacity_building) != (
                purpose.theme.pk if purpose.theme else None,
                purpose.call_ref,
                purpose.capacity_building,
            ):
                raise RestrictionMismatch(
                    _("The commitment %(reference)s was made for another purpose; use a new reference."),
                    reference=reference,
                )
            return existing
        try:
            with transaction.atomic():
                committed, paid = Account.objects.bulk_create(
                    [
                        Account(code=f"{kind}:{reference}", kind=kind, currency=currency, reference=reference)
                        for kind in (AccountKind.COMMITTED, AccountKind.PAID)
                    ]
                )
                return Commitment.objects.create(
                    reference=reference,
                    currency=currency,
                    theme=purpose.theme,
                    call_ref=purpose.call_ref,
                    capacity_building=purpose.capacity_building,
                    committed_account=committed,
                    paid_account=paid,
                    description=description[:300],
                )
        except IntegrityError:
            continue  # made by a concurrent transaction: read it (and check its purpose) again
    raise UnknownReference(_("A commitment needs a reference of 1 to 120 characters."))


def _purpose_of(commitment: Commitment) -> Purpose:
    return Purpose(theme=commitment.theme, call_ref=commitment.call_ref, capacity_building=commitment.capacity_building)


def _lock_for_purpose(commitment: Commitment, purpose: Purpose) -> dict[int, Account]:
    """Every account a commitment's money can move between, locked in one go, in pk order."""
    buckets = list(
        Account.objects.filter(purpose.bucket_filter(), kind=AccountKind.AVAILABLE, currency=commitment.currency)
    )
    return ledger.lock_accounts([*buckets, commitment.committed_account, commitment.paid_account])


@transaction.atomic
def commitment_commit(
    *,
    reference: str,
    amount,
    purpose: Purpose = Purpose(),
    currency: str | None = None,
    description: str = "",
    actor=None,
) -> JournalEntry:
    """Set money aside for `reference`, drawing lots that `purpose` may use: matching restricted
    money first, soonest expiry first, then unrestricted. Refused, with the figures, when the
    pool or the restriction cannot cover it."""
    currency = check_currency(currency)
    amount = parse_amount(amount, currency)
    commitment = _commitment_for(reference, purpose, currency, description)
    locked = _lock_for_purpose(commitment, purpose)
    today = timezone.localdate()

    buckets = [a for a in locked.values() if a.kind == AccountKind.AVAILABLE]
    in_buckets = sum((a.balance for a in buckets), ZERO)
    expired = q(
        Inflow.objects.filter(
            purpose.bucket_filter(), currency=currency, available__gt=0, expires_on__lt=today
        ).aggregate(total=Sum("available"))["total"],
        currency,
    )
    drawable = in_buckets - expired
    if amount > drawable:
        whole_pool = q(
            Account.objects.filter(kind=AccountKind.AVAILABLE, currency=currency).aggregate(total=Sum("balance"))[
                "total"
            ],
            currency,
        )
        if amount <= in_buckets:
            raise RestrictionExpired(
                _(
                    "Only %(drawable)s can be committed for this purpose: %(expired)s of the matching money has expired."
                ),
                drawable=drawable,
                expired=expired,
            )
        if amount <= whole_pool:
            raise RestrictionMismatch(
                _(
                    "Only %(drawable)s is available for this purpose; the rest of the pool's %(pool)s is "
                    "restricted to other purposes."
                ),
                drawable=drawable,
                pool=whole_pool,
            )
        raise InsufficientFunds(
            _("The pool has %(drawable)s available for this purpose; %(amount)s cannot be committed."),
            drawable=drawable,
            amount=amount,
        )

    by_code = {a.code: a for a in buckets}
    draft = Draft(
        kind=EntryKind.COMMIT, amount=amount, currency=currency, memo=description, reference=commitment.reference
    )
    drawn_from: OrderedDict[str, Decimal] = OrderedDict()
    for lot, take in ledger.take_in_order(ledger.drawing_order(purpose, currency, today), amount):
        draft.move(lot, LotMovement.Kind.DRAW, commitment=commitment, available=-take, committed=take)
        code = ledger.bucket_code(lot.restriction_kind, lot.theme, lot.call_ref)
        drawn_from[code] = drawn_from.get(code, ZERO) + take
    for code, total in drawn_from.items():
        draft.transfer(by_code[code], locked[commitment.committed_account_id], total)
    return _post(draft, actor=actor)


def _outstanding_by_lot(commitment: Commitment, *, newest_first: bool = False):
    rows = (
        LotMovement.objects.filter(commitment=commitment)
        .values("lot")
        .annotate(outstanding=Sum("committed_delta"), first_move=Min("id"))
        .filter(outstanding__gt=0)
        .order_by("-first_move" if newest_first else "first_move")
    )
    held = [(row["lot"], q(row["outstanding"], commitment.currency)) for row in rows]
    return [(lot, amount) for lot, amount in held if amount > 0]


def _get_commitment(reference: str) -> Commitment:
    try:
        return Commitment.objects.select_related("theme", "committed_account", "paid_account").get(
            reference=(reference or "").strip()
        )
    except Commitment.DoesNotExist:
        raise UnknownReference(
            _("No commitment exists under the reference “%(reference)s”."), reference=str(reference)[:120]
        ) from None


@transaction.atomic
def commitment_disburse(
    *,
    reference: str,
    amount,
    external_ref: str | None = None,
    currency: str | None = None,
    description: str = "",
    actor=None,
) -> JournalEntry:
    """Pay part of a commitment: committed:R → paid:R. The oldest drawn lots are paid first."""
    currency = check_currency(currency)
    amount = parse_amount(amount, currency)
    commitment = _get_commitment(reference)
    external_ref = _clean_ref(external_ref, label=_("The payment reference"))
    locked = ledger.lock_accounts([commitment.committed_account, commitment.paid_account])
    committed = locked[commitment.committed_account_id]
    if amount > committed.balance:
        raise OverCommitment(
            _("Only %(outstanding)s remains committed to %(reference)s; %(amount)s cannot be paid."),
            outstanding=committed.balance,
            reference=commitment.reference,
            amount=amount,
        )
    _check_external_ref_free(external_ref)
    draft = Draft(
        kind=EntryKind.DISBURSE,
        amount=amount,
        currency=currency,
        memo=description,
        reference=commitment.reference,
        external_ref=external_ref,
    )
    draft.transfer(committed, locked[commitment.paid_account_id], amount)
    remaining = amount
    lots = Inflow.objects.in_bulk([pk for pk, _o in _outstanding_by_lot(commitment)])
    for lot_id, outstanding in _outstanding_by_lot(commitment):
        take = min(outstanding, remaining)
        draft.move(lots[lot_id], LotMovement.Kind.PAY, commitment=commitment, committed=-take, paid=take)
        remaining -= take
        if remaining == 0:
            break
    return _post(draft, actor=actor)


@transaction.atomic
def commitment_release(
    *,
    reference: str,
    amount=None,
    currency: str | None = None,
    description: str = "",
    actor=None,
) -> JournalEntry:
    """Give back what is still committed (all of it unless `amount` says less) to the lots it came
    from, the most recently drawn first."""
    currency = check_currency(currency)
    commitment = _get_commitment(reference)
    locked = _lock_for_purpose(commitment, _purpose_of(commitment))
    committed = locked[commitment.committed_account_id]
    if amount is None:
        amount = committed.balance
        if amount <= 0:
            raise OverCommitment(_("Nothing remains committed to %(reference)s."), reference=commitment.reference)
    else:
        amount = parse_amount(amount, currency)
    if amount > committed.balance:
        raise OverCommitment(
            _("Only %(outstanding)s remains committed to %(reference)s; %(amount)s cannot be released."),
            outstanding=committed.balance,
            reference=commitment.reference,
            amount=amount,
        )
    draft = Draft(
        kind=EntryKind.RELEASE, amount=amount, currency=currency, memo=description, reference=commitment.reference
    )
    outstanding = _outstanding_by_lot(commitment, newest_first=True)
    lots = Inflow.objects.select_related("theme").in_bulk([pk for pk, _o in outstanding])
    by_code = {a.code: a for a in locked.values()}
    remaining = amount
    for lot_id, held in outstanding:
        take = min(held, remaining)
        lot = lots[lot_id]
        draft.move(lot, LotMovement.Kind.RETURN, commitment=commitment, available=take, committed=-take)
        bucket = by_code.get(ledger.bucket_code(lot.restriction_kind, lot.theme, lot.call_ref))
        draft.transfer(committed, bucket, take)
        remaining -= take
        if remaining == 0:
            break
    return _post(draft, actor=actor)


# --- charges against a lot: fees, refunds, chargebacks ----------------------------------------


def _charge(*, kind: str, target_kind: str, inflow: Inflow, amount, external_ref, description, actor) -> JournalEntry:
    lot = Inflow.objects.select_related("theme").get(pk=inflow.pk)
    amount = parse_amount(amount, lot.currency)
    external_ref = _clean_ref(external_ref, label=_("The external reference"))
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
    _check_external_ref_free(external_ref)
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
    return _post(draft, actor=actor)


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
    return _post(draft, actor=actor)


# --- corrections ------------------------------------------------------------------------------


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
        reversal = _post(draft, actor=actor)
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


def _check_commitment_lots_after(moves: list[LotMovement]) -> None:
    """What a commitment holds of each lot must stay ≥ 0 after a reversal, committed and paid."""
    pairs = {(m.commitment_id, m.lot_id) for m in moves if m.commitment_id}
    if not pairs:
        return
    undo = {}
    for m in moves:
        if m.commitment_id:
            c, p = undo.get((m.commitment_id, m.lot_id), (ZERO, ZERO))
            undo[(m.commitment_id, m.lot_id)] = (c - m.committed_delta, p - m.paid_delta)
    commitment_ids = {c for c, _l in pairs}
    rows = (
        LotMovement.objects.filter(commitment_id__in=commitment_ids)
        .values("commitment", "lot")
        .annotate(committed=Sum("committed_delta"), paid=Sum("paid_delta"))
    )
    for row in rows:
        key = (row["commitment"], row["lot"])
        if key in undo:
            dc, dp = undo[key]
            if q(row["committed"]) + dc < 0 or q(row["paid"]) + dp < 0:
                raise NotReversible(
                    _("Later movements depend on this entry (the money has moved on); reverse those first.")
                )


__all__ = [
    "Purpose",
    "Restriction",
    "chargeback_record",
    "commitment_commit",
    "commitment_disburse",
    "commitment_release",
    "entry_reverse",
    "fee_record",
    "inflow_attach_document",
    "inflow_record",
    "pledge_cancel",
    "pledge_receive",
    "pledge_record",
    "refund_record",
    "shortfall_cover",
]
