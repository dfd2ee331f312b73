"""Results for one call of 500 applications × 5 reviewers: queries (constant in the number of
applications) and time, beside a call of 50 × 5 in the same run.

    .venv/bin/python bench/call_results.py
"""

import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "fundpool_bench_results"


def seed(call_slug: str, applications: int, reviewers: list, rng: random.Random):
    from django.utils import timezone

    from grants.models import Application, Call, CallCriterion, ResidentGroup, Review, ReviewAssignment

    now = timezone.now()
    call = Call.objects.create(
        title=f"bench {call_slug}",
        slug=call_slug,
        budget=Decimal("10000000"),
        min_amount=Decimal("1000"),
        max_amount=Decimal("20000"),
        opens_at=now,
        closes_at=now + timezone.timedelta(days=30),
        reviewers_per_application=5,
        published=True,
    )
    for i, w in enumerate([25, 20, 20, 15, 10, 10]):
        CallCriterion.objects.create(call=call, name=f"c{i}", max_points=10, weight=w, sort_order=i)
    group = ResidentGroup.objects.first()
    apps = Application.objects.bulk_create(
        [
            Application(
                call=call,
                group=group,
                title=f"{call_slug}-{i}",
                status="reviewed",
                requested_amount=Decimal(rng.randrange(2000, 20000)),
            )
            for i in range(applications)
        ]
    )
    assignments = ReviewAssignment.objects.bulk_create(
        [ReviewAssignment(application=a, reviewer=r, declared_at=now) for a in apps for r in rng.sample(reviewers, 5)]
    )
    Review.objects.bulk_create(
        [
            Review(
                assignment=asg,
                recommendation="fund",
                weighted_total=Decimal(rng.randrange(4000, 9800)) / 100,
                submitted_at=now,
            )
            for asg in assignments
        ]
    )
    return call


def main():
    _common.prepare(NAME, "--size", "small", fresh=True)
    _common.use(NAME)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from grants.models import Call
    from grants.review.selectors import call_results

    rng = random.Random(7)
    User = get_user_model()
    reviewers = [User.objects.create(username=f"bench-reviewer-{i}") for i in range(40)]
    small = Call.objects.filter(slug="bench-50").first() or seed("bench-50", 50, reviewers, rng)
    large = Call.objects.filter(slug="bench-500").first() or seed("bench-500", 500, reviewers, rng)
    rows = {}
    for call in (small, large):
        with CaptureQueriesContext(connection) as queries:
            result = call_results(call=call)
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            call_results(call=call)
            samples.append(time.perf_counter() - started)
        rows[call.slug] = (len(result), len(queries), statistics.median(samples) * 1000)
    print(f"call results on PostgreSQL ({_common.machine()})")
    print(f"{'applications':>13} {'reviews':>8} {'queries':>8} {'median ms':>10}")
    for n, q, ms in rows.values():
        print(f"{n:>13} {n * 5:>8} {q:>8} {ms:>10.1f}")
    (_n1, q1, ms1), (n2, q2, ms2) = rows.values()
    _common.record(
        "call_results",
        [
            _common.row(
                f"call results, {n2} applications × 5 reviewers",
                ms2,
                "ms",
                baseline=ms1,
                baseline_label="50 × 5",
                goal=f"constant queries ({q1} → {q2})",
                met=q1 == q2,
                peak_mib=_common.peak_rss_mib(),
            )
        ],
    )


if __name__ == "__main__":
    main()
