"""Money set aside for a purpose under an opaque reference (a grant, a capacity-building sum): committed from the lots that may pay for it, disbursed, released. fundpool knows nothing of grants; the reference is the caller's."""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.errors import (
    InsufficientFunds,
    NotReversible,
    OverCommitment,
    RestrictionExpired,
    RestrictionMismatch,
    UnknownReference,
)
from fundpool.ledger import engine as ledger
from fundpool.ledger.engine import Draft, Purpose
from fundpool.ledger.posting import check_external_ref_free, clean_ref, post_draft
from fundpool.models import (
    Account,
    AccountingCategory,
    AccountKind,
    Commitment,
    EntryKind,
    Inflow,
    JournalEntry,
    LotMovement,
)
from fundpool.money import ZERO, check_currency, parse_amount, q


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
    return post_draft(draft, actor=actor)


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


def commitment_increase(*, reference: str, amount, description: str = "", actor=None) -> JournalEntry:
    """Commit more under an existing reference, for the purpose it was first committed for (an
    amended grant's increase). Refused, with the figures, when the pool cannot cover it."""
    commitment = _get_commitment(reference)
    return commitment_commit(
        reference=commitment.reference,
        amount=amount,
        purpose=_purpose_of(commitment),
        currency=commitment.currency,
        description=description,
        actor=actor,
    )


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
    category: str = "",
) -> JournalEntry:
    """Pay part of a commitment: committed:R → paid:R. The oldest drawn lots are paid first.
    `category` is the payment's accounting category (AccountingCategory)."""
    currency = check_currency(currency)
    amount = parse_amount(amount, currency)
    commitment = _get_commitment(reference)
    external_ref = clean_ref(external_ref, label=_("The payment reference"))
    locked = ledger.lock_accounts([commitment.committed_account, commitment.paid_account])
    committed = locked[commitment.committed_account_id]
    if amount > committed.balance:
        raise OverCommitment(
            _("Only %(outstanding)s remains committed to %(reference)s; %(amount)s cannot be paid."),
            outstanding=committed.balance,
            reference=commitment.reference,
            amount=amount,
        )
    check_external_ref_free(external_ref)
    draft = Draft(
        kind=EntryKind.DISBURSE,
        amount=amount,
        currency=currency,
        memo=description,
        reference=commitment.reference,
        external_ref=external_ref,
        category=category if category in AccountingCategory.values else "",
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
    return post_draft(draft, actor=actor)


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
    return post_draft(draft, actor=actor)


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


@transaction.atomic
def category_correct(*, entry: JournalEntry, category: str, reason: str, actor=None):
    """Correct a payment's accounting category: a new record, with the reason; the entry stays."""
    from fundpool.errors import FundpoolError
    from fundpool.models import CategoryCorrection

    reason = (reason or "").strip()
    if category not in AccountingCategory.values:
        raise FundpoolError(_("Choose an accounting category."))
    if not reason:
        raise FundpoolError(_("Give the reason for the correction; it stays on record."))
    if entry.kind != EntryKind.DISBURSE:
        raise FundpoolError(_("Only money paid out has an accounting category."))
    return CategoryCorrection.objects.create(entry=entry, category=category, reason=reason[:2000], created_by=actor)


def category_of(entry: JournalEntry) -> str:
    """A payment's accounting category: its latest correction, else what was set when it was paid."""
    latest = entry.category_corrections.order_by("-created_at", "-pk").first()
    return latest.category if latest else entry.category
