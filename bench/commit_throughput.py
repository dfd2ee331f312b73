"""Commit + disburse throughput with 4 threads on PostgreSQL, beside single-row inserts done the
same way (4 threads, one transaction per operation, same connections).

    .venv/bin/python bench/commit_throughput.py [--seconds 10] [--threads 4]

Every commit draws from the unrestricted bucket, so commits serialise on that account's row lock
by design (that lock is what makes two awards racing for the last money come out right)."""

import argparse
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

from fundpool.ledger import commitments

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

NAME = "fundpool_bench_throughput"


def run_threads(threads: int, seconds: float, work) -> int:
    from django.db import connection

    stop = time.perf_counter() + seconds
    counts = [0] * threads
    barrier = threading.Barrier(threads)
    errors = []

    def loop(i):
        try:
            barrier.wait()
            n = 0
            while time.perf_counter() < stop:
                n += work(i, n)
            counts[i] = n
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    pool = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    return sum(counts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    # A pool of 20,000 small donations (about ¥1.6M), as after a charity day.
    _common.prepare(NAME, "--size", "large", "--donations", "20000", "--commitments", "0", fresh=True)
    _common.use(NAME)
    from django.db import connection, transaction

    from fundpool.ledger.verify import verify

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, ref text, amount numeric(16,2))"
        )
    connection.close()

    def insert(i, n):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_insert (ref, amount) VALUES (%s, %s)", [f"t{i}:{n}", Decimal("100.00")])
        return 1

    def commit_and_disburse(i, n):
        ref = f"bench:{i}:{n}"
        commitments.commitment_commit(reference=ref, amount=Decimal("100.00"))
        commitments.commitment_disburse(reference=ref, amount=Decimal("60.00"))
        return 2

    inserts = run_threads(args.threads, args.seconds, insert)
    ops = run_threads(args.threads, args.seconds, commit_and_disburse)
    single = run_threads(1, args.seconds, commit_and_disburse)
    report = verify()
    ins_rate, ops_rate, one_rate = inserts / args.seconds, ops / args.seconds, single / args.seconds
    print(f"commit + disburse on PostgreSQL ({_common.machine()})")
    print(f"  single-row inserts, {args.threads} threads:  {ins_rate:8.1f} /s")
    print(
        f"  commit+disburse ops, {args.threads} threads: {ops_rate:8.1f} /s  (ratio to inserts {ops_rate / ins_rate:.3f})"
    )
    print(f"  commit+disburse ops, 1 thread:   {one_rate:8.1f} /s")
    print(f"  ledger_verify afterwards: {'clean' if report.ok else report.problems[:3]}")
    _common.record(
        "commit_throughput",
        [
            _common.row(
                f"commit + disburse, {args.threads} threads",
                ops_rate,
                "ops/s",
                baseline=ins_rate,
                baseline_label="row inserts",
                goal="ledger clean after",
                met=report.ok,
                peak_mib=_common.peak_rss_mib(),
                note="commits serialise on the unrestricted bucket's row lock by design",
            )
        ],
    )


if __name__ == "__main__":
    main()
