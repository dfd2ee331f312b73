"""`ledger_verify` over ≥1,000,000 postings on PostgreSQL: wall time and peak memory.

    .venv/bin/python bench/ledger_verify.py [--fresh]

Peak memory is reported twice: the Python heap's peak during the run (tracemalloc) and the
process's maximum resident set size (which includes Django itself)."""

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "fundpool_bench_1m"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    _common.prepare(NAME, "--size", "large", fresh=args.fresh, min_postings=1_000_000)
    _common.use(NAME)
    from fundpool.ledger.verify import verify

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times, peaks = [], []
    report = None
    for _ in range(args.repeat):
        tracemalloc.start()
        started = time.perf_counter()
        report = verify()
        times.append(time.perf_counter() - started)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c = report.counts
    print(f"ledger_verify on PostgreSQL ({_common.machine()})")
    print(
        f"  {c['postings']:,} postings, {c['entries']:,} entries, {c['lots']:,} lots, {c['commitments']:,} commitments"
    )
    print(f"  clean: {report.ok}; problems: {len(report.problems)}")
    print(f"  seconds: median {sorted(times)[len(times) // 2]:.2f} (runs: {', '.join(f'{t:.2f}' for t in times)})")
    print(f"  peak Python heap during a run: {max(peaks) / 1e6:.1f} MB")
    print(f"  process max RSS: {rss_after / 1024:.0f} MB (before the runs: {rss_before / 1024:.0f} MB)")
    _common.record(
        "ledger_verify",
        [
            _common.row(
                f"ledger_verify, {c['postings']:,} postings",
                sorted(times)[len(times) // 2],
                "s",
                goal="clean",
                met=report.ok,
                peak_mib=rss_after / 1024,
                note=f"peak Python heap {max(peaks) / 1e6:.1f} MB",
            )
        ],
    )


if __name__ == "__main__":
    main()
