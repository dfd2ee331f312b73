"""The ledger engine: accounts by role, row locks, and posting one balanced entry.

Services call this; nothing else should. Every function here expects to run inside the caller's
transaction, with the accounts it changes already locked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundpool.errors import CurrencyMismatch, InsufficientFunds
from fundpool.models import (
    MAY_GO_NEGATIVE,
    ROLLED_UP,
    Account,
    AccountKind,
    AccountKindTotal,
    Inflow,
    JournalEntry,
    LotMovement,
    MonthlyIncome,
    Posting,
    RestrictionKind,
    Theme,
)
from fundpool.models.restrictions import Purpose, Restriction  # noqa: F401 - the ledger's callers take them from here


def account_for(code: str, **fields) -> Account:
    """The account with this code, created with `fields` if it does not exist yet."""
    account = Account.objects.filter(code=code).first()  # nearly always there: one read, no savepoint
    if account is not None:
        return account
    try:
        with transaction.atomic():
            account, _created = Account.objects.get_or_create(code=code, defaults=fields)
    except IntegrityError:  # created by a concurrent transaction between our get and our insert
        account = Account.objects.get(code=code)
    return account


def income_account(source_type: str, currency: str) -> Account:
    return account_for(f"income:{source_type}", kind=AccountKind.INCOME, currency=currency, source_type=source_type)


def bucket_code(kind: str, theme: Theme | None, call_ref: str) -> str:
    if kind == RestrictionKind.THEME:
        return f"available:theme:{theme.code}"
    if kind == RestrictionKind.CALL:
        return f"available:call:{call_ref}"
    return f"available:{kind}"


def available_account(kind: str, theme: Theme | None, call_ref: str, currency: str) -> Account:
    return account_for(
        bucket_code(kind, theme, call_ref),
        kind=AccountKind.AVAILABLE,
        currency=currency,
        restriction_kind=kind,
        theme=theme,
        call_ref=call_ref,
    )


def available_account_for_lot(lot: Inflow) -> Account:
    return available_account(lot.restriction_kind, lot.theme, lot.call_ref, lot.currency)


def system_account(kind: str, currency: str) -> Account:
    return account_for(kind, kind=kind, currency=currency)


def lock_accounts(accounts: Iterable[Account]) -> dict[int, Account]:
    """Lock account rows in primary-key order (so two operations never wait on each other in a
    circle) and return fresh copies with their current balances.

    Every ledger lock is FOR NO KEY UPDATE: we change balances, never keys, and a plain FOR UPDATE
    would also block other transactions' foreign-key checks (a disbursement's lot records point at
    lots a concurrent commitment holds), which deadlocks."""
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in Account.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")}


def lock_lots(ids: Iterable[int]) -> dict[int, Inflow]:
    ids = sorted(set(ids))
    return {lot.pk: lot for lot in Inflow.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")}


def _lock_running_totals(model, keys, key_of, fields_of, **where) -> dict:
    """Lock the running-total rows of `model` matching `where`, in primary-key order, keyed by
    `key_of(row)`; rows for `keys` that do not exist yet (the first money of their kind) are made
    with `fields_of(key)` first, each in a savepoint in case a concurrent transaction makes it."""

    def locked():
        rows = model.objects.select_for_update(no_key=True).filter(**where).order_by("pk")
        return {key_of(row): row for row in rows}

    found = locked()
    missing = [key for key in sorted(set(keys)) if key not in found]
    if missing:
        for key in missing:
            try:
                with transaction.atomic():
                    model.objects.create(**fields_of(key))
            except IntegrityError:
                pass  # a concurrent transaction made it
        found = locked()
    return found


def lock_kind_totals(kinds, currency: str) -> dict[str, AccountKindTotal]:
    """Lock the running totals of these account kinds (after the accounts: always the same order)."""
    return _lock_running_totals(
        AccountKindTotal,
        kinds,
        lambda row: row.kind,
        lambda kind: {"kind": kind, "currency": currency},
        kind__in=list(kinds),
        currency=currency,
    )


def month_of(moment: datetime) -> date:
    """The first day of `moment`'s month in the site's time zone (MonthlyIncome's key)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def lock_monthly_income(months_and_sources, currency: str) -> dict[tuple[date, str], MonthlyIncome]:
    """Lock the monthly income rows of these (month, source type) pairs, making any that do not
    exist yet (after the kind totals: always the same order)."""
    keys = set(months_and_sources)
    return _lock_running_totals(
        MonthlyIncome,
        keys,
        lambda row: (row.month, row.source_type),
        lambda key: {"month": key[0], "source_type": key[1], "currency": currency},
        currency=currency,
        month__in={month for month, _source in keys},
        source_type__in={source for _month, source in keys},
    )


def drawing_order(purpose: Purpose, currency: str, today: date) -> list:
    """The lots this purpose may draw, as querysets to take from in turn: matching restricted
    money first (soonest expiry first), then unrestricted money (soonest expiry, then oldest
    first). Each is ordered along the partial index on lots with money left, so taking the first
    few lots costs the same however many small donations the pool holds."""
    order = (F("expires_on").asc(nulls_last=True), "received_on", "pk")
    usable = Inflow.objects.filter(currency=currency, available__gt=0).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today)
    )
    # (Unrestricted lots name no theme or call: a check constraint says so.)
    unrestricted = usable.filter(restriction_kind=RestrictionKind.UNRESTRICTED)
    if not (purpose.theme or purpose.call_ref or purpose.capacity_building):
        return [unrestricted.order_by(*order)]
    restricted = (
        usable.filter(purpose.bucket_filter())
        .exclude(restriction_kind=RestrictionKind.UNRESTRICTED)
        .select_related("theme")
    )
    if not purpose.unrestricted_allowed:
        return [restricted.order_by(*order)]
    return [restricted.order_by(*order), unrestricted.order_by(*order)]


def take_in_order(querysets, amount: Decimal, *, first_batch: int = 8) -> list[tuple[Inflow, Decimal]]:
    """Lock lots in the given order and take from each until `amount` is covered. Reads a few lots
    first and twice as many each time more are needed: most commitments need only a handful."""
    takes: list[tuple[Inflow, Decimal]] = []
    remaining = amount
    for queryset in querysets:
        locked = queryset.select_for_update(of=("self",), no_key=True)
        offset, batch = 0, first_batch
        # Nothing changes these lots until the caller posts, so paging by offset is stable.
        while remaining > 0:
            rows = list(locked[offset : offset + batch])
            if not rows:
                break
            offset += len(rows)
            batch = min(batch * 2, 1000)
            for lot in rows:
                take = min(lot.available, remaining)
                takes.append((lot, take))
                remaining -= take
                if remaining == 0:
                    break
        if remaining == 0:
            break
    if remaining > 0:  # cannot happen while balances and lots agree; ledger_verify would say so
        raise InsufficientFunds()
    return takes


@dataclass
class Draft:
    """An entry being assembled: transfers between accounts and changes to lots."""

    kind: str
    amount: Decimal
    currency: str
    memo: str = ""
    reference: str = ""
    external_ref: str | None = None
    inflow: Inflow | None = None
    reversal_of: JournalEntry | None = None
    category: str = ""
    legs: list[tuple[Account, Decimal]] = field(default_factory=list)
    lot_moves: list[LotMovement] = field(default_factory=list)

    def transfer(self, source: Account, target: Account, amount: Decimal) -> None:
        if amount == 0:
            return
        if amount < 0:
            source, target, amount = target, source, -amount
        self.legs.append((source, -amount))
        self.legs.append((target, amount))

    def move(self, lot: Inflow, kind: str, *, commitment=None, available=0, committed=0, paid=0) -> None:
        self.lot_moves.append(
            LotMovement(
                lot=lot,
                commitment=commitment,
                kind=kind,
                available_delta=Decimal(available),
                committed_delta=Decimal(committed),
                paid_delta=Decimal(paid),
            )
        )


def post(draft: Draft, *, actor=None, effective_at: datetime | None = None) -> JournalEntry:
    """Write one balanced entry (`post_many` with one draft)."""
    return post_many([(draft, effective_at)], actor=actor)[0]


def post_many(items, *, actor=None) -> list[JournalEntry]:
    """The one way postings are written: each (draft, effective_at) becomes one balanced entry,
    with its postings and lot movements, and the cached balances, running totals and monthly
    income move with them, in the caller's transaction.

    The rows are locked here (again, if the caller already did: that costs one query and makes
    the balances read below the current ones whatever the caller did); a pool account or lot that
    would go below zero refuses the whole call. With many drafts (the demo's bulk load) the
    balances are judged after all of them, not after each."""
    items = [(draft, effective_at or timezone.now()) for draft, effective_at in items]
    if not items:
        return []
    currency = items[0][0].currency
    delta_by_account: dict[int, Decimal] = defaultdict(Decimal)
    seen: dict[int, Account] = {}
    for draft, _at in items:
        total_by_currency: dict[str, Decimal] = defaultdict(Decimal)
        for account, amount in draft.legs:
            if account.currency != draft.currency or draft.currency != currency:
                raise CurrencyMismatch(_("Accounts in another currency cannot take part in this entry."))
            total_by_currency[account.currency] += amount
            delta_by_account[account.pk] += amount
            seen[account.pk] = account
        if len(draft.legs) < 2 or any(total != 0 for total in total_by_currency.values()):
            raise AssertionError("an entry must have two or more postings that sum to zero")
    accounts = lock_accounts(seen.values())

    for pk, delta in delta_by_account.items():
        account = accounts[pk]
        if account.kind not in MAY_GO_NEGATIVE and account.balance + delta < 0:
            raise InsufficientFunds(
                _("Account %(account)s holds %(balance)s; this would take it below zero."),
                account=account.code,
                balance=account.balance,
            )

    lot_delta: dict[int, Decimal] = defaultdict(Decimal)
    for draft, _at in items:
        for move in draft.lot_moves:
            lot_delta[move.lot.pk] += move.available_delta
    lots = lock_lots(pk for pk, delta in lot_delta.items() if delta) if lot_delta else {}
    for pk, delta in lot_delta.items():
        if delta and lots[pk].available + delta < 0:
            raise InsufficientFunds(
                _("Inflow #%(lot)s has only %(available)s uncommitted."), lot=pk, available=lots[pk].available
            )

    kind_delta: dict[str, Decimal] = defaultdict(Decimal)
    for pk, delta in delta_by_account.items():
        if accounts[pk].kind in ROLLED_UP:
            kind_delta[accounts[pk].kind] += delta
    totals = lock_kind_totals(kind_delta, currency) if any(kind_delta.values()) else {}

    income_delta: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for draft, effective_at in items:
        for account, amount in draft.legs:
            if account.kind == AccountKind.INCOME:
                income_delta[(month_of(effective_at), account.source_type)] -= amount  # credits are negative
    income_delta = {key: delta for key, delta in income_delta.items() if delta}
    monthly = lock_monthly_income(income_delta, currency) if income_delta else {}

    by = actor if actor is not None and actor.is_authenticated else None
    entries = [
        JournalEntry(
            kind=draft.kind,
            amount=draft.amount,
            currency=draft.currency,
            memo=draft.memo[:500],
            reference=draft.reference,
            external_ref=draft.external_ref,
            inflow=draft.inflow,
            reversal_of=draft.reversal_of,
            category=draft.category,
            effective_at=effective_at,
            created_by=by,
        )
        for draft, effective_at in items
    ]
    if len(entries) == 1:
        entries[0].save()
    else:
        entries = JournalEntry.objects.bulk_create(entries, batch_size=2000)
    Posting.objects.bulk_create(
        [
            Posting(entry=entry, account=account, amount=amount, currency=account.currency)
            for (draft, _at), entry in zip(items, entries, strict=True)
            for account, amount in draft.legs
        ],
        batch_size=5000,
    )
    # The rows are locked and their figures fresh, so write each new figure itself rather than
    # "balance + delta": exact on every database (SQLite would add in floating point).
    changed = [accounts[pk] for pk, delta in delta_by_account.items() if delta]
    for account in changed:
        account.balance += delta_by_account[account.pk]
    _write_figures(Account, changed, "balance")
    for kind, delta in kind_delta.items():
        if delta:
            AccountKindTotal.objects.filter(pk=totals[kind].pk).update(balance=totals[kind].balance + delta)
    for key, delta in income_delta.items():
        MonthlyIncome.objects.filter(pk=monthly[key].pk).update(amount=monthly[key].amount + delta)
    moves = []
    for (draft, _at), entry in zip(items, entries, strict=True):
        for move in draft.lot_moves:
            move.entry = entry
            moves.append(move)
    if moves:
        LotMovement.objects.bulk_create(moves, batch_size=5000)
        touched = [lots[pk] for pk, delta in lot_delta.items() if delta]
        for lot in touched:
            lot.available += lot_delta[lot.pk]
        _write_figures(Inflow, touched, "available")
    return entries


def _write_figures(model, rows, field: str) -> None:
    """Store each row's new figure: one UPDATE per row for a few, bulk updates for many."""
    if len(rows) <= 20:
        for row in rows:
            model.objects.filter(pk=row.pk).update(**{field: getattr(row, field)})
    else:
        model.objects.bulk_update(rows, [field], batch_size=1000)
