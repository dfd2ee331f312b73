"""Recompute every ledger invariant from the rows themselves. Each check is a set-based query, so
memory stays flat however many postings there are; each returns the offending rows (at most
`limit` of them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round

from fundpool.models import (
    MAY_GO_NEGATIVE,
    MONEY,
    ROLLED_UP,
    Account,
    AccountKind,
    AccountKindTotal,
    Commitment,
    Inflow,
    JournalEntry,
    LotMovement,
    MonthlyIncome,
    Pledge,
    Posting,
    RestrictionKind,
)

ZERO = Decimal("0")


def q(value) -> Decimal:
    """Two places: sums come back from SQLite as binary floats (PostgreSQL sums exactly)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


LIMIT = 20


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, check: str, detail: str) -> None:
        self.problems.append((check, detail))


def _money_sum(expr):
    from django.db.models import DecimalField

    return Coalesce(Sum(expr), Value(ZERO), output_field=DecimalField(**MONEY))


def check_entries_balance(report: Report, limit: int = LIMIT) -> None:
    bad = (
        Posting.objects.values("entry_id", "currency")
        .annotate(total=Round(Sum("amount"), 2))
        .exclude(total=0)
        .order_by("entry_id")[:limit]
    )
    for row in bad:
        report.add("entry_unbalanced", f"entry #{row['entry_id']} {row['currency']} postings sum to {row['total']}")
    few = (
        JournalEntry.objects.annotate(n=Count("postings")).filter(n__lt=2).values_list("pk", "n").order_by("pk")[:limit]
    )
    for pk, n in few:
        report.add("entry_too_few_postings", f"entry #{pk} has {n} posting(s)")
    mixed = (
        Posting.objects.exclude(currency=F("account__currency")).values_list("pk", "entry_id").order_by("pk")[:limit]
    )
    for pk, entry_id in mixed:
        report.add("posting_currency", f"posting #{pk} (entry #{entry_id}) differs from its account's currency")


def check_cached_balances(report: Report, limit: int = LIMIT) -> None:
    sums = Posting.objects.filter(account=OuterRef("pk")).values("account").annotate(t=Sum("amount")).values("t")
    bad = (
        Account.objects.annotate(posted=Round(Coalesce(Subquery(sums), Value(ZERO)), 2))
        .exclude(balance=F("posted"))
        .values_list("code", "balance", "posted")
        .order_by("pk")[:limit]
    )
    for code, balance, posted in bad:
        report.add("balance_cache", f"account {code}: cached {balance}, postings sum to {posted}")


def check_kind_totals(report: Report, limit: int = LIMIT) -> None:
    """The running totals of committed and paid money equal the sum of those accounts."""
    sums = {
        (r["kind"], r["currency"]): q(r["t"])
        for r in Account.objects.filter(kind__in=ROLLED_UP)
        .values("kind", "currency")
        .annotate(t=Sum("balance"))
        .order_by()
    }
    kept = {(t.kind, t.currency): q(t.balance) for t in AccountKindTotal.objects.all()}
    for key in sorted(set(sums) | set(kept)):
        if sums.get(key, q(0)) != kept.get(key, q(0)):
            report.add(
                "kind_total",
                f"{key[0]} {key[1]}: running total {kept.get(key, q(0))}, accounts sum to {sums.get(key, q(0))}",
            )


def income_by_month() -> dict[tuple, Decimal]:
    """What MonthlyIncome should hold, from the postings themselves: {(month, source type,
    currency): received}, months in the site's time zone."""
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    rows = (
        Posting.objects.filter(account__kind=AccountKind.INCOME)
        .annotate(month=TruncMonth("entry__effective_at", tzinfo=timezone.get_default_timezone()))
        .values("month", "account__source_type", "currency")
        .annotate(t=Sum("amount"))
        .order_by()
    )
    return {(r["month"].date(), r["account__source_type"], r["currency"]): -q(r["t"]) for r in rows}


def check_monthly_income(report: Report, limit: int = LIMIT) -> None:
    """The monthly income totals (the public monthly chart) equal the income postings of each month."""
    sums = income_by_month()
    kept = {(m.month, m.source_type, m.currency): q(m.amount) for m in MonthlyIncome.objects.all()}
    shown = 0
    for key in sorted(set(sums) | set(kept)):
        if sums.get(key, q(0)) != kept.get(key, q(0)):
            report.add(
                "monthly_income",
                f"{key[0]:%Y-%m} {key[1]} {key[2]}: monthly total {kept.get(key, q(0))}, "
                f"postings sum to {sums.get(key, q(0))}",
            )
            shown += 1
            if shown >= limit:
                break


def check_no_negative_pool(report: Report, limit: int = LIMIT) -> None:
    bad = (
        Account.objects.filter(balance__lt=0)
        .exclude(kind__in=[k.value for k in MAY_GO_NEGATIVE])
        .values_list("code", "balance")
        .order_by("pk")[:limit]
    )
    for code, balance in bad:
        report.add("negative_balance", f"account {code} is {balance}")


def check_lots(report: Report, limit: int = LIMIT) -> None:
    sums = LotMovement.objects.filter(lot=OuterRef("pk")).values("lot").annotate(t=Sum("available_delta")).values("t")
    bad = (
        Inflow.objects.annotate(moved=Round(Coalesce(Subquery(sums), Value(ZERO)), 2))
        .exclude(available=F("moved"))
        .values_list("pk", "available", "moved")
        .order_by("pk")[:limit]
    )
    for pk, available, moved in bad:
        report.add("lot_cache", f"inflow #{pk}: cached uncommitted {available}, movements sum to {moved}")
    for pk, available in Inflow.objects.filter(available__lt=0).values_list("pk", "available")[:limit]:
        report.add("lot_negative", f"inflow #{pk} has {available} uncommitted")
    for pk, available, amount in Inflow.objects.filter(available__gt=F("amount")).values_list(
        "pk", "available", "amount"
    )[:limit]:
        report.add("lot_overfull", f"inflow #{pk} has {available} uncommitted of {amount} received")
    # Every receipt entry posts exactly its lot's amount into the pool.
    for pk in Inflow.objects.exclude(entry__amount=F("amount")).values_list("pk", flat=True).order_by("pk")[:limit]:
        report.add("lot_entry", f"inflow #{pk} differs from the amount of its entry")
    # The lots of each restriction bucket hold exactly what its available account holds.
    lot_totals = {
        (r["restriction_kind"], r["theme_id"], r["call_ref"], r["currency"]): r["t"]
        for r in Inflow.objects.values("restriction_kind", "theme_id", "call_ref", "currency")
        .annotate(t=Sum("available"))
        .order_by()
    }
    account_totals = {
        (r["restriction_kind"], r["theme_id"], r["call_ref"], r["currency"]): r["t"]
        for r in Account.objects.filter(kind=AccountKind.AVAILABLE)
        .values("restriction_kind", "theme_id", "call_ref", "currency")
        .annotate(t=Sum("balance"))
        .order_by()
    }
    for key in sorted(set(lot_totals) | set(account_totals), key=str):
        lots, acct = q(lot_totals.get(key)), q(account_totals.get(key))
        if lots != acct:
            report.add("bucket_mismatch", f"bucket {key[0]}/{key[1] or ''}/{key[2]}: lots hold {lots}, account {acct}")


def check_commitments(report: Report, limit: int = LIMIT) -> None:
    """What a commitment holds of each lot stays ≥ 0; its accounts equal its lot movements; it never
    gave back or paid more than it drew; it drew only money its purpose may use."""
    negative = (
        LotMovement.objects.filter(commitment__isnull=False)
        .values("commitment__reference", "lot")
        .annotate(committed=Round(Sum("committed_delta"), 2), paid=Round(Sum("paid_delta"), 2))
        .filter(Q(committed__lt=0) | Q(paid__lt=0))
        .order_by("commitment__reference", "lot")[:limit]
    )
    for row in negative:
        report.add(
            "draw_negative",
            f"{row['commitment__reference']} holds {row['committed']} committed / {row['paid']} paid of inflow #{row['lot']}",
        )
    committed = LotMovement.objects.filter(commitment=OuterRef("pk")).values("commitment")
    mismatched = (
        Commitment.objects.annotate(
            moved_committed=Round(
                Coalesce(Subquery(committed.annotate(t=Sum("committed_delta")).values("t")), Value(ZERO)), 2
            ),
            moved_paid=Round(Coalesce(Subquery(committed.annotate(t=Sum("paid_delta")).values("t")), Value(ZERO)), 2),
        )
        .filter(~Q(committed_account__balance=F("moved_committed")) | ~Q(paid_account__balance=F("moved_paid")))
        .values_list(
            "reference", "committed_account__balance", "moved_committed", "paid_account__balance", "moved_paid"
        )
        .order_by("pk")[:limit]
    )
    for ref, cb, mc, pb, mp in mismatched:
        report.add("commitment_accounts", f"{ref}: committed {cb} vs draws {mc}; paid {pb} vs draws {mp}")
    # Money that isn't drawn through lots must not sit in committed or paid accounts.
    orphan = (
        Account.objects.filter(kind__in=[AccountKind.COMMITTED, AccountKind.PAID])
        .exclude(balance=0)
        .filter(
            ~Q(pk__in=Commitment.objects.values("committed_account"))
            & ~Q(pk__in=Commitment.objects.values("paid_account"))
        )
        .values_list("code", flat=True)[:limit]
    )
    for code in orphan:
        report.add("commitment_orphan", f"account {code} holds money but belongs to no commitment")
    # Restricted lots drawn only for a purpose that may use them.
    wrong = (
        LotMovement.objects.filter(kind=LotMovement.Kind.DRAW)
        .exclude(lot__restriction_kind=RestrictionKind.UNRESTRICTED)
        .exclude(
            Q(
                lot__restriction_kind=RestrictionKind.THEME,
                commitment__capacity_building=False,
                lot__theme=F("commitment__theme"),
            )
            | Q(
                lot__restriction_kind=RestrictionKind.CALL,
                commitment__capacity_building=False,
                lot__call_ref=F("commitment__call_ref"),
            )
            | Q(lot__restriction_kind=RestrictionKind.CAPACITY, commitment__capacity_building=True)
        )
        .values_list("pk", "lot_id", "commitment__reference")
        .order_by("pk")[:limit]
    )
    for pk, lot_id, ref in wrong:
        report.add("restriction_breach", f"movement #{pk}: restricted inflow #{lot_id} drawn for {ref}")
    # Drawn after its expiry date.
    expired = (
        LotMovement.objects.filter(kind=LotMovement.Kind.DRAW, lot__expires_on__isnull=False)
        .filter(entry__effective_at__date__gt=F("lot__expires_on"))
        .values_list("pk", "lot_id")
        .order_by("pk")[:limit]
    )
    for pk, lot_id in expired:
        report.add("expired_draw", f"movement #{pk}: inflow #{lot_id} drawn after it expired")


def check_pledges(report: Report, limit: int = LIMIT) -> None:
    received = (
        Inflow.objects.filter(pledge=OuterRef("pk"), entry__reversed_by__isnull=True)
        .values("pledge")
        .annotate(t=Sum("amount"))
        .values("t")
    )
    bad = (
        Pledge.objects.annotate(inflow_total=Round(Coalesce(Subquery(received), Value(ZERO)), 2))
        .filter(~Q(received=F("inflow_total")) | Q(received__gt=F("amount")))
        .values_list("pk", "received", "inflow_total", "amount")
        .order_by("pk")[:limit]
    )
    for pk, rec, inflows, amount in bad:
        report.add("pledge", f"pledge #{pk}: received {rec}, inflows {inflows}, pledged {amount}")


def check_reversals(report: Report, limit: int = LIMIT) -> None:
    """A reversal mirrors its entry exactly: the same accounts, opposite amounts."""
    rev = (
        Posting.objects.filter(entry__reversal_of__isnull=False)
        .values("entry__reversal_of", "account")
        .annotate(t=Sum("amount"))
    )
    orig_sums = {
        (r["entry"], r["account"]): r["t"]
        for r in Posting.objects.filter(entry__reversed_by__isnull=False)
        .values("entry", "account")
        .annotate(t=Sum("amount"))
        .order_by()
    }
    shown = 0
    for r in rev.order_by().iterator():
        if q(orig_sums.get((r["entry__reversal_of"], r["account"]))) != -q(r["t"]):
            report.add("reversal_mirror", f"reversal of entry #{r['entry__reversal_of']} does not mirror it")
            shown += 1
            if shown >= limit:
                break


CHECKS = [
    check_entries_balance,
    check_cached_balances,
    check_kind_totals,
    check_monthly_income,
    check_no_negative_pool,
    check_lots,
    check_commitments,
    check_pledges,
    check_reversals,
]


def verify(limit: int = LIMIT) -> Report:
    report = Report()
    for check in CHECKS:
        check(report, limit)
    report.counts = {
        "entries": JournalEntry.objects.count(),
        "postings": Posting.objects.count(),
        "accounts": Account.objects.count(),
        "lots": Inflow.objects.count(),
        "commitments": Commitment.objects.count(),
    }
    return report


def monthly_income_rebuild() -> int:
    """Recompute every monthly income total from the postings, should `ledger_verify` find them out
    of step (after a rolling deploy with older code, say). Returns the number of rows."""
    with transaction.atomic():
        MonthlyIncome.objects.all().delete()
        rows = MonthlyIncome.objects.bulk_create(
            MonthlyIncome(month=month, source_type=source_type, currency=currency, amount=amount)
            for (month, source_type, currency), amount in income_by_month().items()
        )
    return len(rows)
