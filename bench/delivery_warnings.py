"""The staff warnings dashboard over 200 and 2,000 projects under way (each with budget lines,
expenses, activities, reports and tranches): queries (constant) and time, in the same run.

    .venv/bin/python bench/delivery_warnings.py
"""

import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "fundpool_bench_delivery"


def seed(slug: str, projects: int, rng: random.Random):
    from django.utils import timezone

    from grants.models import (
        Activity,
        Agreement,
        Application,
        BudgetLine,
        Call,
        Expense,
        ProjectReport,
        ResidentGroup,
        Tranche,
    )

    now, today = timezone.now(), timezone.localdate()
    call = Call.objects.create(
        title=f"bench {slug}",
        slug=slug,
        budget=Decimal("100000000"),
        min_amount=Decimal("1000"),
        max_amount=Decimal("20000"),
        opens_at=now - timedelta(days=200),
        closes_at=now - timedelta(days=150),
        published=True,
    )
    group = ResidentGroup.objects.first()
    apps = Application.objects.bulk_create(
        [
            Application(
                call=call,
                group=group,
                title=f"{slug}-{i}",
                status="in_delivery",
                requested_amount=Decimal("10000"),
                awarded_amount=Decimal("9000"),
                midterm_due_on=today - timedelta(days=rng.randrange(-60, 60)),
                final_due_on=today + timedelta(days=rng.randrange(10, 120)),
            )
            for i in range(projects)
        ]
    )
    Agreement.objects.bulk_create(
        [
            Agreement(
                application=a,
                number=f"B-{slug}-{a.pk}",
                terms={},
                content_hash="0" * 64,
                signed_on=today - timedelta(days=rng.randrange(30, 150)),
            )
            for a in apps
        ]
    )
    lines = BudgetLine.objects.bulk_create(
        [
            BudgetLine(application=a, category=c, item=c, unit_cost=amt, quantity=1, amount=amt)
            for a in apps
            for c, amt in (("food", Decimal("8000")), ("materials", Decimal("2000")))
        ]
    )
    Expense.objects.bulk_create(
        [
            Expense(
                application_id=line.application_id,
                budget_line=line,
                amount=Decimal(rng.randrange(100, 800)),
                spent_on=today - timedelta(days=rng.randrange(1, 30)),
                payee="bench",
                receipt="bench/receipt.pdf",
                receipt_content_type="application/pdf",
                status="pending" if rng.random() < 0.05 else "recorded",
            )
            for line in lines
            for _ in range(3)
        ]
    )
    Activity.objects.bulk_create(
        [
            Activity(
                application=a,
                held_on=today - timedelta(days=rng.randrange(1, 90)),
                title="bench",
                description="",
                participants=10,
                beneficiaries_reached=20,
            )
            for a in apps
            for _ in range(3)
        ]
    )
    ProjectReport.objects.bulk_create(
        [
            ProjectReport(application=a, kind="midterm", outcomes="bench", beneficiaries_reached=10)
            for a in apps
            if rng.random() < 0.5
        ]
    )
    Tranche.objects.bulk_create(
        [
            Tranche(
                application=a,
                number=n,
                share=s,
                amount=Decimal("9000") * s / 100,
                trigger=t,
                status=st,
                payment_reference=f"{slug}-{a.pk}-{n}" if st == "paid" else None,
            )
            for a in apps
            for n, s, t, st in (
                (1, 60, "signing", "paid"),
                (2, 40, "midterm", "due" if rng.random() < 0.2 else "planned"),
            )
        ]
    )
    return call


def main():
    _common.prepare(NAME, "--size", "small", fresh=True)
    _common.use(NAME)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grants.delivery.selectors import delivery_warnings
    from grants.models import Application

    rng = random.Random(5)
    rows = []
    for slug, n in (("bench-200", 200), ("bench-2000", 1800)):
        seed(slug, n, rng)
        projects = Application.objects.filter(status="in_delivery").count()
        with CaptureQueriesContext(connection) as queries:
            found = delivery_warnings()
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            delivery_warnings()
            samples.append(time.perf_counter() - started)
        rows.append((projects, len(found), len(queries), statistics.median(samples) * 1000))
    print(f"delivery warnings on PostgreSQL ({_common.machine()})")
    print(f"{'projects':>9} {'warnings':>9} {'queries':>8} {'median ms':>10}")
    for projects, warnings, q, ms in rows:
        print(f"{projects:>9} {warnings:>9} {q:>8} {ms:>10.1f}")
    (p1, _w1, _q1, ms1), (p2, _w2, _q2, ms2) = rows
    print(f"time per project: {ms1 / p1:.3f} ms at {p1}, {ms2 / p2:.3f} ms at {p2}")
    (_p, _w, q1, _ms), (_p2, _w2, q2, _ms2) = rows
    _common.record(
        "delivery_warnings",
        [
            _common.row(
                f"delivery warnings, {p2:,} projects",
                ms2,
                "ms",
                baseline=ms1,
                baseline_label=f"{p1} projects",
                goal=f"constant queries ({q1} → {q2})",
                met=q1 == q2,
                peak_mib=_common.peak_rss_mib(),
            )
        ],
    )


if __name__ == "__main__":
    main()
