"""Pool summary at ~10,000 and at ≥1,000,000 postings on PostgreSQL: median time of
`pool_summary()` and of a primary-key lookup timed in the same process, and their ratio.

    .venv/bin/python bench/pool_summary.py [--fresh]
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

SIZES = {
    # name: (seed_demo args, minimum postings)
    "fundpool_bench_10k": (["--donations", "3000", "--commitments", "60", "--size", "large"], 9_000),
    "fundpool_bench_1m": (["--size", "large"], 1_000_000),
}


def measure(name: str) -> dict:
    _common.use(name)
    from fundpool.ledger.selectors import pool_summary
    from fundpool.models import Account, Posting

    pk = Account.objects.order_by("pk").values_list("pk", flat=True)[Account.objects.count() // 2]
    summary = _common.timed(pool_summary, repeat=300)
    lookup = _common.timed(lambda: Account.objects.get(pk=pk), repeat=300)
    return {
        "postings": Posting.objects.count(),
        "accounts": Account.objects.count(),
        "summary_ms": _common.median_ms(summary),
        "pk_ms": _common.median_ms(lookup),
        "peak_mib": _common.peak_rss_mib(),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the benchmark databases")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    rows = []
    for name, (seed_args, minimum) in SIZES.items():
        _common.prepare(name, *seed_args, fresh=args.fresh, min_postings=minimum)
        out = subprocess.run([sys.executable, __file__, "--measure", name], capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"pool summary on PostgreSQL ({_common.machine()})")
    print(f"{'postings':>10} {'accounts':>9} {'summary ms':>11} {'pk lookup ms':>13} {'ratio':>7}")
    for r in rows:
        print(
            f"{r['postings']:>10,} {r['accounts']:>9,} {r['summary_ms']:>11.3f} {r['pk_ms']:>13.3f} "
            f"{r['summary_ms'] / r['pk_ms']:>7.2f}"
        )
    small, large = rows
    growth = large["summary_ms"] / small["summary_ms"]
    print(
        f"growth 10k → 1M postings: summary ×{growth:.2f}, "
        f"ratio-to-pk ×{(large['summary_ms'] / large['pk_ms']) / (small['summary_ms'] / small['pk_ms']):.2f}"
    )
    _common.record(
        "pool_summary",
        [
            _common.row(
                f"pool summary, {r['postings']:,} postings",
                r["summary_ms"],
                "ms",
                baseline=r["pk_ms"],
                baseline_label="pk lookup",
                peak_mib=r["peak_mib"],
            )
            for r in rows
        ]
        + [
            _common.row(
                "pool summary growth, 10k → 1M postings",
                growth,
                "×",
                goal="flat (≤ 1.5×)",
                met=growth <= 1.5,
            )
        ],
    )


if __name__ == "__main__":
    main()
