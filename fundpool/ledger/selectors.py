"""Reads of the ledger: the pool's summary (now or as of a day), balances, the funding trace of a reference, income by month and theme."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from fundpool.models import (
    ROLLED_UP,
    Account,
    AccountKind,
    AccountKindTotal,
    Commitment,
    EntryKind,
    Inflow,
    JournalEntry,
    LotMovement,
    MonthlyIncome,
    Pledge,
    PledgeStatus,
    Posting,
    RestrictionKind,
    SourceType,
    Theme,
)
from fundpool.money import pool_currency, q

ZERO = Decimal("0.00")


SHARE = Decimal("0.0001")


@dataclass(frozen=True)
class _Row:
    """An account's identity and a balance (current, or as of a moment)."""

    kind: str
    source_type: str
    restriction_kind: str
    theme_id: int | None
    call_ref: str
    balance: Decimal


def _summarise(rows: Iterable[_Row], *, currency: str, as_of: datetime, pledged_outstanding: Decimal) -> dict:
    received = {t.value: ZERO for t in SourceType}
    totals = {k.value: ZERO for k in AccountKind}
    buckets: dict[tuple, Decimal] = {}
    for row in rows:
        row = _Row(
            row.kind, row.source_type, row.restriction_kind, row.theme_id, row.call_ref, q(row.balance, currency)
        )
        totals[row.kind] += row.balance
        if row.kind == AccountKind.INCOME:
            # Income accounts are where money enters from outside: their balance is minus what came in.
            received[row.source_type] -= row.balance
        elif row.kind == AccountKind.AVAILABLE:
            key = (row.restriction_kind, row.theme_id, row.call_ref)
            buckets[key] = buckets.get(key, ZERO) + row.balance
    themes = Theme.objects.in_bulk([k[1] for k in buckets if k[1]])
    by_restriction = [
        {
            "kind": kind,
            "theme": themes[theme_id].code if theme_id else None,
            "theme_name": themes[theme_id].name if theme_id else None,
            "call": call_ref or None,
            "available": balance,
        }
        for (kind, theme_id, call_ref), balance in sorted(
            buckets.items(), key=lambda kv: (list(RestrictionKind.values).index(kv[0][0]), kv[0][1] or 0, kv[0][2])
        )
    ]
    return {
        "currency": currency,
        "as_of": as_of,
        "received": received,
        "received_total": sum(received.values(), ZERO),
        "pledged_outstanding": pledged_outstanding,
        "available": totals[AccountKind.AVAILABLE],
        "committed": totals[AccountKind.COMMITTED],
        "paid": totals[AccountKind.PAID],
        "fees": totals[AccountKind.FEES],
        "refunds": totals[AccountKind.REFUNDS],
        "chargebacks": totals[AccountKind.CHARGEBACKS],
        # Positive: what the pool owes after refunds of money already committed.
        "shortfall": -totals[AccountKind.SHORTFALL],
        "by_restriction": by_restriction,
    }


def pledged_outstanding(*, currency: str | None = None) -> Decimal:
    currency = currency or pool_currency()
    row = Pledge.objects.filter(status=PledgeStatus.OPEN, currency=currency).aggregate(
        amount=Sum("amount"), received=Sum("received")
    )
    return q(row["amount"], currency) - q(row["received"], currency)


def pool_summary(*, currency: str | None = None) -> dict:
    """Where the pool stands now, from cached balances: a handful of rows (sources, restriction
    buckets, the running totals of committed and paid money), however many postings or grants."""
    currency = currency or pool_currency()
    rows = [
        _Row(a.kind, a.source_type, a.restriction_kind, a.theme_id, a.call_ref, a.balance)
        for a in Account.objects.filter(currency=currency, kind__in=[k for k in AccountKind if k not in ROLLED_UP])
    ]
    rows += [
        _Row(t.kind, "", "", None, "", t.balance)
        for t in AccountKindTotal.objects.filter(currency=currency, kind__in=ROLLED_UP)
    ]
    return _summarise(
        rows,
        currency=currency,
        as_of=timezone.now(),
        pledged_outstanding=pledged_outstanding(currency=currency),
    )


def _end_of(day: date | datetime) -> datetime:
    if isinstance(day, datetime):
        return day
    return timezone.make_aware(datetime.combine(day, time.max))


def account_balances_as_of(moment: date | datetime, *, currency: str | None = None) -> dict[int, Decimal]:
    """Each account's balance from its postings up to the end of `moment` (a date is the end of
    that day, Asia/Shanghai)."""
    currency = currency or pool_currency()
    rows = (
        Posting.objects.filter(currency=currency, entry__effective_at__lte=_end_of(moment))
        .values("account")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {r["account"]: q(r["total"], currency) for r in rows}


def pool_summary_as_of(moment: date | datetime, *, currency: str | None = None) -> dict:
    """The pool summary as it stood at the end of `moment`, recomputed from the postings."""
    currency = currency or pool_currency()
    balances = account_balances_as_of(moment, currency=currency)
    at = _end_of(moment)
    accounts = Account.objects.filter(pk__in=balances.keys()).only(
        "kind", "source_type", "restriction_kind", "theme_id", "call_ref"
    )
    pledges = Pledge.objects.filter(currency=currency, pledged_on__lte=timezone.localdate(at)).exclude(
        status=PledgeStatus.CANCELLED
    )
    pledged = pledges.aggregate(total=Sum("amount"))["total"] or ZERO
    received_on_pledges = (
        Inflow.objects.filter(pledge__in=pledges, entry__effective_at__lte=at)
        .exclude(entry__reversed_by__effective_at__lte=at)
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    return _summarise(
        (_Row(a.kind, a.source_type, a.restriction_kind, a.theme_id, a.call_ref, balances[a.pk]) for a in accounts),
        currency=currency,
        as_of=at,
        pledged_outstanding=pledged - received_on_pledges,
    )


def _public_source_name(lot: Inflow) -> str | None:
    """Institutions are named; individual donors never are."""
    if lot.source_type == SourceType.DONATION or lot.funder_id is None:
        return None
    return lot.funder.name


def funding_trace(*, reference: str) -> dict:
    """Which lots, and so which sources, fund a commitment: amounts still held plus paid out,
    by lot and by source type, with shares of the total."""
    commitment = Commitment.objects.filter(reference=reference).first()
    if commitment is None:
        return {"reference": reference, "total": ZERO, "by_source": [], "lots": []}
    rows = (
        LotMovement.objects.filter(commitment=commitment)
        .values("lot")
        .annotate(committed=Sum("committed_delta"), paid=Sum("paid_delta"))
        .order_by("lot")
    )
    per_lot = {
        r["lot"]: (q(r["committed"] + r["paid"], commitment.currency), q(r["paid"], commitment.currency))
        for r in rows
        if r["committed"] + r["paid"] != 0
    }
    lots = Inflow.objects.select_related("funder", "theme").in_bulk(per_lot.keys())
    total = sum((v[0] for v in per_lot.values()), ZERO)
    by_source: dict[str, Decimal] = {}
    lot_rows = []
    for lot_id, (amount, paid) in per_lot.items():
        lot = lots[lot_id]
        by_source[lot.source_type] = by_source.get(lot.source_type, ZERO) + amount
        lot_rows.append(
            {
                "inflow_id": lot.pk,
                "source_type": lot.source_type,
                "source_label": lot.get_source_type_display(),
                "funder": _public_source_name(lot),
                "restriction": lot.restriction_kind,
                "received_on": lot.received_on,
                "amount": amount,
                "paid": paid,
                "share": (amount / total).quantize(SHARE) if total else ZERO,
            }
        )
    lot_rows.sort(key=lambda r: (-r["amount"], r["inflow_id"]))
    labels = dict(SourceType.choices)
    return {
        "reference": reference,
        "total": total,
        "by_source": [
            {
                "source_type": st,
                "label": labels[st],
                "amount": amt,
                "share": (amt / total).quantize(SHARE) if total else ZERO,
            }
            for st, amt in sorted(by_source.items(), key=lambda kv: -kv[1])
        ],
        "lots": lot_rows,
    }


def inflow_taken_back(*, inflow: Inflow) -> Decimal:
    """What refunds and chargebacks (not since reversed) have taken back from an inflow: no more
    than the inflow itself can ever be taken back."""
    return q(
        JournalEntry.objects.filter(
            inflow=inflow, kind__in=[EntryKind.REFUND, EntryKind.CHARGEBACK], reversed_by__isnull=True
        ).aggregate(total=Sum("amount"))["total"],
        inflow.currency,
    )


def inflow_usage(*, inflow: Inflow) -> dict:
    """Where an inflow went: the references it reached (held and paid), what is still uncommitted,
    and what was charged against it (fees, refunds, chargebacks, shortfall cover)."""
    rows = (
        LotMovement.objects.filter(lot=inflow, commitment__isnull=False)
        .values("commitment__reference")
        .annotate(committed=Sum("committed_delta"), paid=Sum("paid_delta"))
        .order_by("commitment__reference")
    )
    reached = [
        {
            "reference": r["commitment__reference"],
            "amount": q(r["committed"] + r["paid"], inflow.currency),
            "committed": q(r["committed"], inflow.currency),
            "paid": q(r["paid"], inflow.currency),
        }
        for r in rows
        if r["committed"] + r["paid"] != 0
    ]
    charged = -q(
        LotMovement.objects.filter(lot=inflow, kind=LotMovement.Kind.CHARGE).aggregate(total=Sum("available_delta"))[
            "total"
        ],
        inflow.currency,
    )
    return {
        "inflow_id": inflow.pk,
        "amount": inflow.amount,
        "available": Inflow.objects.values_list("available", flat=True).get(pk=inflow.pk),
        "charged": charged,
        "reached": reached,
    }


def commitment_balances(*, reference: str) -> dict:
    """Committed (still held), paid and drawn for one reference."""
    c = Commitment.objects.select_related("committed_account", "paid_account").filter(reference=reference).first()
    if c is None:
        return {"reference": reference, "outstanding": ZERO, "paid": ZERO, "drawn": ZERO, "released": ZERO}
    agg = LotMovement.objects.filter(commitment=c).aggregate(
        drawn=Sum("committed_delta", filter=Q(kind=LotMovement.Kind.DRAW)),
        returned=Sum("committed_delta", filter=Q(kind=LotMovement.Kind.RETURN)),
    )
    return {
        "reference": reference,
        "outstanding": c.committed_account.balance,
        "paid": c.paid_account.balance,
        "drawn": q(agg["drawn"], c.currency),
        "released": -q(agg["returned"], c.currency),
    }


def entry_list(*, limit: int = 50):
    return (
        JournalEntry.objects.select_related("created_by", "reversal_of")
        .annotate(posting_count=Count("postings"))
        .order_by("-id")[:limit]
    )


def theme_list():
    return Theme.objects.order_by("code")


def paid_by_reference(references) -> dict[str, Decimal]:
    """What was paid out under each reference, in one query (for lists and exports)."""
    references = list(references)
    if not references:
        return {}
    rows = Commitment.objects.filter(reference__in=references).values_list("reference", "paid_account__balance")
    return {ref: q(balance) for ref, balance in rows}


def received_by_month(*, currency: str | None = None) -> dict:
    """Money received per month and source type, from the postings on income accounts (so reversals
    and corrections count), in the site's time zone. Reads the monthly totals the ledger keeps
    (MonthlyIncome): one query over a few rows a month, however many gifts there were."""
    currency = currency or pool_currency()
    rows = MonthlyIncome.objects.filter(currency=currency).order_by("month", "source_type")
    months: list[str] = []
    cells: dict[tuple[str, str], Decimal] = {}
    for r in rows.values("month", "source_type", "amount"):
        key = r["month"].strftime("%Y-%m")
        if key not in months:
            months.append(key)
        cells[(key, r["source_type"])] = q(r["amount"], currency)
    labels = dict(SourceType.choices)
    series = {
        str(labels[st]): [cells.get((m, st), ZERO) for m in months]
        for st in SourceType.values
        if any(cells.get((m, st), ZERO) for m in months)
    }
    return {"months": months, "series": series}


def money_by_theme(*, currency: str | None = None) -> list[dict]:
    """Per theme: available (theme-restricted money not yet committed), committed and paid to grants
    on that theme. Two aggregate queries."""
    currency = currency or pool_currency()
    out: dict[int | None, dict] = {}

    def row(theme_id):
        return out.setdefault(theme_id, {"available": ZERO, "committed": ZERO, "paid": ZERO})

    for r in (
        Account.objects.filter(kind=AccountKind.AVAILABLE, currency=currency, restriction_kind=RestrictionKind.THEME)
        .values("theme")
        .annotate(total=Sum("balance"))
    ):
        row(r["theme"])["available"] += q(r["total"], currency)
    for r in (
        Commitment.objects.filter(currency=currency)
        .values("theme")
        .annotate(committed=Sum("committed_account__balance"), paid=Sum("paid_account__balance"))
    ):
        row(r["theme"])["committed"] += q(r["committed"], currency)
        row(r["theme"])["paid"] += q(r["paid"], currency)
    themes = Theme.objects.in_bulk([t for t in out if t])
    return sorted(
        ({"theme": themes[t] if t else None, **v} for t, v in out.items() if any(v.values())),
        key=lambda r: -(r["committed"] + r["paid"] + r["available"]),
    )


def traces_by_source(
    *, prefix: str = "grant:", references: Iterable[str] | None = None
) -> dict[str, list[tuple[str, Decimal]]]:
    """For every commitment whose reference starts with `prefix` (or only those in `references`,
    which a page showing a few grants passes so the query does not grow with the whole fund): the
    money it holds or paid, by the source type of the lots it drew. One aggregate query."""
    movements = LotMovement.objects.filter(commitment__reference__startswith=prefix)
    if references is not None:
        movements = movements.filter(commitment__reference__in=list(references))
    rows = (
        movements.values("commitment__reference", "lot__source_type")
        .annotate(committed=Sum("committed_delta"), paid=Sum("paid_delta"))
        .order_by("commitment__reference", "lot__source_type")
    )
    labels = dict(SourceType.choices)
    out: dict[str, list[tuple[str, Decimal]]] = {}
    for r in rows:
        amount = q((r["committed"] or 0) + (r["paid"] or 0))
        ref = r["commitment__reference"]
        if amount and ref.count(":") == 1:
            # The grant itself; its capacity-building sum (grant:12:capacity) is a separate commitment.
            parts = dict(out.get(ref, []))
            label = str(labels[r["lot__source_type"]])
            parts[label] = parts.get(label, ZERO) + amount
            out[ref] = sorted(parts.items(), key=lambda kv: -kv[1])
    return out
