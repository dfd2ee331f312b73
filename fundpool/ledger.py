"""The ledger engine: accounts by role, row locks, and posting one balanced entry.

Services call this; nothing else should. Every function here expects to run inside the caller's
transaction, with the accounts it changes already locked.
"""

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

from .errors import CurrencyMismatch, InsufficientFunds, InvalidRestriction, RestrictionExpired
from .models import (
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


@dataclass(frozen=True)
class Restriction:
    """What a sum of money may be used for, and until when."""

    kind: str = RestrictionKind.UNRESTRICTED
    theme: Theme | None = None
    call_ref: str = ""
    expires_on: date | None = None

    def validate(self, *, received_on: date | None = None) -> None:
        if self.kind not in RestrictionKind.values:
            raise InvalidRestriction(_("Unknown restriction “%(kind)s”."), kind=str(self.kind)[:40])
        if self.kind == RestrictionKind.THEME and self.theme is None:
            raise InvalidRestriction(_("Choose the theme this money is restricted to."))
        if self.kind == RestrictionKind.CALL and not self.call_ref.strip():
            raise InvalidRestriction(_("Give the call this money is restricted to."))
        if self.kind != RestrictionKind.THEME and self.theme is not None:
            raise InvalidRestriction(_("Only theme-restricted money names a theme."))
        if self.kind != RestrictionKind.CALL and self.call_ref:
            raise InvalidRestriction(_("Only call-restricted money names a call."))
        if self.expires_on is not None:
            if received_on is not None and self.expires_on < received_on:
                raise RestrictionExpired(
                    _("The restriction expires on %(expires)s, before the money was received (%(received)s)."),
                    expires=self.expires_on.isoformat(),
                    received=received_on.isoformat(),
                )
            if self.expires_on < timezone.localdate():
                raise RestrictionExpired(
                    _("The restriction expired on %(expires)s; expired money can no longer be committed."),
                    expires=self.expires_on.isoformat(),
                )

    def as_fields(self) -> dict:
        return {
            "restriction_kind": self.kind,
            "theme": self.theme,
            "call_ref": self.call_ref,
            "expires_on": self.expires_on,
        }

    @classmethod
    def of(cls, obj) -> Restriction:
        return cls(kind=obj.restriction_kind, theme=obj.theme, call_ref=obj.call_ref, expires_on=obj.expires_on)


@dataclass(frozen=True)
class Purpose:
    """What a commitment is for. Decides which restricted money it may draw."""

    theme: Theme | None = None
    call_ref: str = ""
    capacity_building: bool = False
    # False: only the restricted money named above (e.g. a capacity-building sum that must come
    # out of capacity-building money), never unrestricted money.
    unrestricted_allowed: bool = True

    def bucket_filter(self, prefix: str = "") -> Q:
        """Matches available accounts (prefix "") or lots whose restriction this purpose may use."""
        p = prefix
        q = Q(**{f"{p}restriction_kind": RestrictionKind.UNRESTRICTED}) if self.unrestricted_allowed else Q(pk__in=[])
        if self.capacity_building:
            return q | Q(**{f"{p}restriction_kind": RestrictionKind.CAPACITY})
        if self.theme is not None:
            q |= Q(**{f"{p}restriction_kind": RestrictionKind.THEME, f"{p}theme": self.theme})
        if self.call_ref:
            q |= Q(**{f"{p}restriction_kind": RestrictionKind.CALL, f"{p}call_ref": self.call_ref})
        return q

    def allows(self, kind: str, theme_id: int | None, call_ref: str) -> bool:
        if kind == RestrictionKind.UNRESTRICTED:
            return self.unrestricted_allowed
        if self.capacity_building:
            return kind == RestrictionKind.CAPACITY
        if kind == RestrictionKind.THEME:
            return self.theme is not None and theme_id == self.theme.pk
        if kind == RestrictionKind.CALL:
            return bool(self.call_ref) and call_ref == self.call_ref
        return False


# --- accounts by role -------------------------------------------------------------------------


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


# --- locks ------------------------------------------------------------------------------------


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


def monthly_income_rebuild() -> int:
    """Recompute every monthly income total from the postings: for a bulk load that wrote postings
    without `post` (the demo's large data set). Returns the number of rows."""
    from .verify import income_by_month

    with transaction.atomic():
        MonthlyIncome.objects.all().delete()
        rows = MonthlyIncome.objects.bulk_create(
            MonthlyIncome(month=month, source_type=source_type, currency=currency, amount=amount)
            for (month, source_type, currency), amount in income_by_month().items()
        )
    return len(rows)


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


# --- posting ----------------------------------------------------------------------------------


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
    """Write one balanced entry, its postings and lot movements, and move the cached balances.

    The rows are locked here (again, if the caller already did: that costs one query and makes
    the balances read below the current ones whatever the caller did); a pool account or lot that
    would go below zero refuses the whole entry."""
    total_by_currency: dict[str, Decimal] = defaultdict(Decimal)
    delta_by_account: dict[int, Decimal] = defaultdict(Decimal)
    for account, amount in draft.legs:
        if account.currency != draft.currency:
            raise CurrencyMismatch(_("Accounts in another currency cannot take part in this entry."))
        total_by_currency[account.currency] += amount
        delta_by_account[account.pk] += amount
    accounts = lock_accounts(account for account, _amount in draft.legs)
    if len(draft.legs) < 2 or any(total != 0 for total in total_by_currency.values()):
        raise AssertionError("an entry must have two or more postings that sum to zero")

    for pk, delta in delta_by_account.items():
        account = accounts[pk]
        if account.kind not in MAY_GO_NEGATIVE and account.balance + delta < 0:
            raise InsufficientFunds(
                _("Account %(account)s holds %(balance)s; this would take it below zero."),
                account=account.code,
                balance=account.balance,
            )

    lot_delta: dict[int, Decimal] = defaultdict(Decimal)
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
    totals = lock_kind_totals(kind_delta, draft.currency) if any(kind_delta.values()) else {}

    effective_at = effective_at or timezone.now()
    income_delta: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for account, amount in draft.legs:
        if account.kind == AccountKind.INCOME:
            income_delta[(month_of(effective_at), account.source_type)] -= amount  # credits are negative
    income_delta = {key: delta for key, delta in income_delta.items() if delta}
    monthly = lock_monthly_income(income_delta, draft.currency) if income_delta else {}

    entry = JournalEntry(
        kind=draft.kind,
        amount=draft.amount,
        currency=draft.currency,
        memo=draft.memo[:500],
        reference=draft.reference,
        external_ref=draft.external_ref,
        inflow=draft.inflow,
        reversal_of=draft.reversal_of,
        effective_at=effective_at,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    entry.save()
    Posting.objects.bulk_create(
        [
            Posting(entry=entry, account=account, amount=amount, currency=account.currency)
            for account, amount in draft.legs
        ]
    )
    for pk, delta in delta_by_account.items():
        if delta:
            # The row is locked and its balance fresh, so write the new figure itself rather than
            # "balance + delta": exact on every database (SQLite would add in floating point).
            Account.objects.filter(pk=pk).update(balance=accounts[pk].balance + delta)
    for kind, delta in kind_delta.items():
        if delta:
            AccountKindTotal.objects.filter(pk=totals[kind].pk).update(balance=totals[kind].balance + delta)
    for key, delta in income_delta.items():
        MonthlyIncome.objects.filter(pk=monthly[key].pk).update(amount=monthly[key].amount + delta)
    if draft.lot_moves:
        for move in draft.lot_moves:
            move.entry = entry
        LotMovement.objects.bulk_create(draft.lot_moves)
        for pk, delta in lot_delta.items():
            if delta:
                Inflow.objects.filter(pk=pk).update(available=lots[pk].available + delta)
    return entry
