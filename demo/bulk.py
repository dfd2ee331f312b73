"""The large data set for the benchmarks (seed_demo --size large): small donations and the commitments that draw them, posted in chunks through the ledger's one write path (post_many), and the grants whose money those commitments are."""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from core.text import name_key
from demo.money import LAST_DAY, MESSAGES, _donation_amount, _fee, _name
from demo.programme import PROJECT_TITLES, seed_places
from fundpool.ledger.engine import (
    Draft,
    available_account,
    income_account,
    post_many,
    system_account,
)
from fundpool.models import (
    Account,
    AccountKind,
    Commitment,
    EntryKind,
    Inflow,
    LotMovement,
    RestrictionKind,
    SourceType,
)
from grants.lifecycle import Status
from grants.models import (
    Application,
    Call,
    CallTranche,
    PriorityProblem,
    ResidentGroup,
)


class Progress:
    def __init__(self, total: int, label: str, stream=None):
        self.total, self.label, self.done = total, label, 0
        self.stream = stream or sys.stderr
        self._last = -1

    def advance(self, n: int) -> None:
        self.done += n
        pct = int(self.done * 100 / self.total) if self.total else 100
        if pct != self._last:
            self._last = pct
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            self.stream.write(f"\r{self.label} [{bar}] {pct:3d}% {self.done:,}/{self.total:,}")
            self.stream.flush()
        if self.done >= self.total:
            self.stream.write("\n")


@dataclass
class _Lot:
    amount: Decimal
    fee: Decimal
    day: date
    available: Decimal
    anonymous: bool
    pk: int | None = None


def _at(day: date, seconds: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(9, 0))) + timedelta(seconds=seconds)


def seed_bulk(
    *,
    seed: int = 2026,
    donations: int = 250_000,
    commitments: int = 5_000,
    chunk: int = 5_000,
    stream=None,
    donation_rows: bool = False,
    grants=None,
) -> dict:
    """Small donations (each an entry of four postings: gift and fee) and commitments drawing
    them, written with bulk inserts. Balances and lot figures are worked out in memory first, so
    every cached number is written once and agrees with the postings.

    `donation_rows`: each gift also gets its `Donation` row, confirmed and tied to its inflow (most
    online through Stripe, with unique Stripe ids; the rest imported from a fundraising platform).
    `grants(part)`: called with each chunk of planned commitments as `(amount, day, payments)` and
    returns, for each, the commitment's reference and the payment reference of each payment (the
    grants app uses it to write the applications whose money these are)."""
    rng = random.Random(seed)
    currency = "CNY"
    income = income_account(SourceType.DONATION, currency)
    pool = available_account(RestrictionKind.UNRESTRICTED, None, "", currency)
    fees = system_account(AccountKind.FEES, currency)
    start = date(2025, 1, 1)
    span = (LAST_DAY - start).days

    lots = []
    for _i in range(donations):
        amount = _donation_amount(rng)
        fee = _fee(rng, amount)
        lots.append(
            _Lot(amount, fee, start + timedelta(days=rng.randrange(span + 1)), amount - fee, rng.random() < 0.3)
        )
    lots.sort(key=lambda lot: lot.day)

    # Plan the commitments: each draws the oldest lots with money left (as the service would for
    # unrestricted money), and most have a first tranche paid.
    plans = []
    cursor = 0
    total_net = sum((lot.available for lot in lots), Decimal(0))
    budget = total_net * Decimal("0.8")
    per = (budget / commitments).quantize(Decimal("1")) if commitments else Decimal(0)
    for k in range(commitments):
        want = max(Decimal("2000"), min(per * Decimal(rng.choice(["0.5", "0.8", "1", "1.2", "1.5"])), Decimal("50000")))
        draws = []
        remaining = want
        while remaining > 0 and cursor < len(lots):
            lot = lots[cursor]
            take = min(lot.available, remaining)
            if take > 0:
                draws.append((cursor, take))
                lot.available -= take
                remaining -= take
            if lot.available == 0:
                cursor += 1
        if remaining > 0:
            # Put back what this partial plan took and stop: the pool has run dry.
            for idx, take in draws:
                lots[idx].available += take
            break
        day = max(lots[idx].day for idx, _ in draws) + timedelta(days=1)
        # Most have a first tranche (60 %) paid; about one in seven is finished and paid in full.
        draw = rng.random()
        first = (want * Decimal("0.6")).quantize(Decimal("0.01"))
        pays = [first, want - first] if draw < 0.15 else [first] if draw < 0.7 else []
        plans.append([f"bench:grant:{seed}:{k:05d}", want, draws, day, pays, []])

    postings_total = donations * 2 + sum(2 for lot in lots if lot.fee) + sum(2 + 2 * len(p[4]) for p in plans)
    progress = Progress(postings_total, "postings", stream)
    names = random.Random(seed + 1)  # its own sequence: the money above is the same with or without rows

    for offset in range(0, len(lots), chunk):
        part = lots[offset : offset + chunk]
        with transaction.atomic():
            # Through the ledger's one write path, as inflow_record does: the entry first, then
            # the lot that points at it and the lot's movements.
            drafts = []
            for i, lot in enumerate(part):
                draft = Draft(kind=EntryKind.INFLOW, amount=lot.amount, currency=currency, memo="")
                draft.transfer(income, pool, lot.amount)
                if lot.fee:
                    draft.transfer(pool, fees, lot.fee)
                drafts.append((draft, _at(lot.day, i % 3600)))
            entries = post_many(drafts)
            inflows = Inflow.objects.bulk_create(
                [
                    Inflow(
                        source_type=SourceType.DONATION,
                        amount=lot.amount,
                        currency=currency,
                        available=lot.amount - lot.fee,
                        received_on=lot.day,
                        anonymous=lot.anonymous,
                        entry=entry,
                        restriction_kind=RestrictionKind.UNRESTRICTED,
                    )
                    for lot, entry in zip(part, entries, strict=True)
                ]
            )
            moves = []
            for lot, entry, inflow in zip(part, entries, inflows, strict=True):
                lot.pk = inflow.pk
                moves.append(
                    LotMovement(entry=entry, lot=inflow, kind=LotMovement.Kind.RECEIVE, available_delta=lot.amount)
                )
                if lot.fee:
                    moves.append(
                        LotMovement(entry=entry, lot=inflow, kind=LotMovement.Kind.CHARGE, available_delta=-lot.fee)
                    )
            LotMovement.objects.bulk_create(moves, batch_size=5000)
            if donation_rows:
                _donation_rows(part, inflows, offset, names)
        progress.advance(sum(len(d.legs) for d, _at in drafts))

    for offset in range(0, len(plans), chunk // 5 or 1):
        part = plans[offset : offset + (chunk // 5 or 1)]
        with transaction.atomic():
            if grants is not None:
                for plan, (ref, pay_refs) in zip(part, grants([(p[1], p[3], p[4]) for p in part]), strict=True):
                    plan[0], plan[5] = ref, pay_refs
            else:
                for plan in part:
                    plan[5] = [f"{plan[0]}:pay:{n}" for n in range(1, len(plan[4]) + 1)]
            # The commitments' accounts start empty; the entries below fill them.
            committed_accounts = Account.objects.bulk_create(
                [
                    Account(code=f"committed:{ref}", kind=AccountKind.COMMITTED, currency=currency, reference=ref)
                    for ref, *_rest in part
                ]
            )
            paid_accounts = Account.objects.bulk_create(
                [
                    Account(code=f"paid:{ref}", kind=AccountKind.PAID, currency=currency, reference=ref)
                    for ref, *_rest in part
                ]
            )
            commitments_ = Commitment.objects.bulk_create(
                [
                    Commitment(reference=ref, currency=currency, committed_account=ca, paid_account=pa)
                    for (ref, *_rest), ca, pa in zip(part, committed_accounts, paid_accounts, strict=True)
                ]
            )
            drafts = []
            for (ref, want, draws, day, pays, pay_refs), ca, pa, c in zip(
                part, committed_accounts, paid_accounts, commitments_, strict=True
            ):
                commit = Draft(kind=EntryKind.COMMIT, amount=want, currency=currency, reference=ref)
                commit.transfer(pool, ca, want)
                for idx, take in draws:
                    commit.move(
                        Inflow(pk=lots[idx].pk), LotMovement.Kind.DRAW, commitment=c, available=-take, committed=take
                    )
                drafts.append((commit, _at(day)))
                before = Decimal(0)
                for n, (paid, pay_ref) in enumerate(zip(pays, pay_refs, strict=True), start=1):
                    pay = Draft(
                        kind=EntryKind.DISBURSE, amount=paid, currency=currency, reference=ref, external_ref=pay_ref
                    )
                    pay.transfer(ca, pa, paid)
                    # Paid from the drawn lots in order, after what earlier payments took.
                    skip, remaining = before, paid
                    for idx, take in draws:
                        left = take - min(take, skip)
                        skip -= min(take, skip)
                        part_paid = min(left, remaining)
                        if part_paid <= 0:
                            continue
                        pay.move(
                            Inflow(pk=lots[idx].pk),
                            LotMovement.Kind.PAY,
                            commitment=c,
                            committed=-part_paid,
                            paid=part_paid,
                        )
                        remaining -= part_paid
                        if remaining == 0:
                            break
                    drafts.append((pay, _at(day + timedelta(days=7 if n == 1 else 120))))
                    before += paid
            post_many(drafts)
        progress.advance(sum(len(d.legs) for d, _at in drafts))

    if connection.vendor == "postgresql":
        # Fresh planner statistics, as autovacuum would give a real database after such a load.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"donations": donations, "commitments": len(plans), "postings": progress.done}


def _donation_rows(part: list[_Lot], inflows: list[Inflow], offset: int, names: random.Random) -> None:
    """The `Donation` row of each bulk gift: confirmed, tied to its inflow. Six in seven came online
    (Stripe Checkout: session, payment intent and charge ids, unique); the rest from a platform import."""
    from fundpool.models import Donation, DonationChannel, DonationStatus

    rows = []
    for i, (lot, inflow) in enumerate(zip(part, inflows, strict=True)):
        n = offset + i
        online = n % 7 != 6
        rows.append(
            Donation(
                channel=DonationChannel.STRIPE if online else DonationChannel.PLATFORM,
                status=DonationStatus.CONFIRMED,
                amount=lot.amount,
                currency=inflow.currency,
                display_name="" if lot.anonymous else _name(names),
                anonymous=lot.anonymous,
                message=names.choice(MESSAGES),
                stripe_session_id=f"cs_bulk_{n:07d}" if online else None,
                stripe_payment_intent=f"pi_bulk_{n:07d}" if online else None,
                stripe_charge_id=f"ch_bulk_{n:07d}" if online else None,
                import_ref=None if online else f"platform:BULK-{n:07d}",
                inflow=inflow,
                confirmed_at=_at(lot.day, n % 3600),
            )
        )
    Donation.objects.bulk_create(rows, batch_size=5000)


BULK_GROUPS = 250


BULK_WORDS = ["银龄", "邻里", "河畔", "梧桐", "阳光", "新村", "花园", "翠湖", "滨江", "四季"]


BULK_KINDS = ["互助队", "志愿队", "读书会", "合唱团", "巡逻队", "手工社", "厨房", "课堂"]


def bulk_grant_writer(*, seed: int = 2026):
    """For `demo.money.seed_bulk(grants=...)`: the applications whose money the bulk commitments
    are. Each chunk of planned commitments becomes awarded, in-delivery or completed applications
    (bulk inserts) with their signed agreements and tranches, and the commitment references
    `grant:<application id>` the lifecycle uses. Deterministic for a seed."""
    from grants.award.agreement import terms_hash

    rng = random.Random(seed + 2)
    communities = seed_places()
    problems = list(PriorityProblem.objects.select_related("theme").order_by("rank"))
    rows = [
        ResidentGroup(
            name=f"{rng.choice(BULK_WORDS)}{rng.choice(BULK_KINDS)}{i:03d}",
            group_type=rng.choice(["mutual_aid", "volunteer", "interest"]),
            community=communities[i % len(communities)],
            leader_name=rng.choice(["王芳", "李强", "张敏", "陈静", "刘洋", "赵磊"]),
            leader_phone=f"139{rng.randrange(10**7, 10**8)}",
            member_count=rng.randrange(8, 60),
            member_list="\n".join(f"成员{j} {rng.randrange(1, 20)}栋" for j in range(1, 4)),
            filing_status="filed",
            filing_number=f"CH-BULK-{i:04d}",
            filed_on=date(2024, 12, 1),
        )
        for i in range(BULK_GROUPS)
    ]
    for group in rows:  # bulk_create skips save(), which keeps the uniqueness key in step with the name
        group.name_key = name_key(group.name)
    groups = ResidentGroup.objects.bulk_create(rows)
    calls = {}

    def call_for(year: int) -> Call:
        if year not in calls:
            call, created = Call.objects.get_or_create(
                slug=f"bulk-{year}",
                defaults={
                    "title": f"{year}年度社区微基金（历年项目）",
                    "budget": Decimal("1000000000"),
                    "min_amount": Decimal("1000"),
                    "max_amount": Decimal("60000"),
                    "opens_at": timezone.make_aware(datetime(year, 1, 1)),
                    "closes_at": timezone.make_aware(datetime(year, 2, 1)),
                    "published": True,
                },
            )
            if created:
                CallTranche.objects.create(call=call, share=Decimal("60"), trigger="signing", sort_order=0)
                CallTranche.objects.create(call=call, share=Decimal("40"), trigger="final", sort_order=1)
            calls[year] = call
        return calls[year]

    def write(part):
        from grants.models import Agreement, Tranche, TrancheStatus

        rows = []
        for amount, day, pays in part:
            problem = rng.choice(problems) if problems else None
            status = Status.COMPLETED if len(pays) == 2 else Status.IN_DELIVERY if pays else Status.AWARDED
            theme = problem.theme.code if problem else "mutual-aid"
            rows.append(
                Application(
                    call=call_for(day.year),
                    group=rng.choice(groups),
                    status=status,
                    title=f"{rng.choice(BULK_WORDS)}{PROJECT_TITLES.get(theme, '社区项目')}",
                    summary="居民自发组织、邻里共同参与的社区微项目。",
                    problem=problem,
                    beneficiaries="社区居民",
                    beneficiary_count=rng.randrange(20, 400),
                    requested_amount=amount,
                    awarded_amount=amount,
                    submitted_at=timezone.make_aware(datetime.combine(day, time(9))) - timedelta(days=40),
                    awarded_at=timezone.make_aware(datetime.combine(day, time(9))) - timedelta(days=7),
                    final_due_on=day + timedelta(days=180) if pays else None,
                )
            )
        apps = Application.objects.bulk_create(rows)
        agreements, tranches, out = [], [], []
        for app, (amount, day, pays) in zip(apps, part, strict=True):
            first = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
            plan = [(1, Decimal("60"), first, "signing"), (2, Decimal("40"), amount - first, "final")]
            pay_refs = [f"{app.reference}:tranche:{n}" for n in range(1, len(pays) + 1)]
            out.append((app.reference, pay_refs))
            if not pays:
                continue  # awarded, agreement not yet signed
            terms = {
                "group": {"name": app.group.name},
                "project": {"id": app.pk, "title": app.title, "call": app.call.title},
                "amount": str(amount),
                "tranches": [{"number": n, "share": str(s), "amount": str(a), "trigger": t} for n, s, a, t in plan],
                "conditions": "",
            }
            agreements.append(
                Agreement(
                    application=app,
                    number=f"XY-{day.year}-B{app.pk:06d}",
                    terms=terms,
                    content_hash=terms_hash(terms),
                    signed_on=day,
                )
            )
            for (n, share, part_amount, trigger), paid in zip(plan, [*pays, None, None], strict=False):
                tranches.append(
                    Tranche(
                        application=app,
                        number=n,
                        share=share,
                        amount=part_amount,
                        trigger=trigger,
                        status=TrancheStatus.PAID if paid is not None else TrancheStatus.PLANNED,
                        payment_reference=f"{app.reference}:tranche:{n}" if paid is not None else None,
                        paid_amount=paid,
                        paid_at=timezone.make_aware(datetime.combine(day, time(9)))
                        + timedelta(days=7 if n == 1 else 120)
                        if paid is not None
                        else None,
                    )
                )
        Agreement.objects.bulk_create(agreements)
        Tranche.objects.bulk_create(tranches)
        return out

    return write
