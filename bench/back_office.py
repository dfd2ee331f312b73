"""The auditor's dossier of the largest project in the large data set (seconds and peak memory,
built through the job runner as the documents worker runs it), and a bank statement of 10,000
outgoing lines imported and matched (seconds), beside importing the same file again (nothing new).

    .venv/bin/python bench/back_office.py [--lines 10000]
"""

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
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()
    _common.prepare(NAME, "--size", "large", min_postings=1_000_000)
    _common.use(NAME)
    from decimal import Decimal

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from core import jobs
    from fundpool.ledger import commitments, statements
    from fundpool.ledger import services as ledger_services
    from fundpool.models import SourceType
    from grants.models import Application, ProjectDossier

    # The largest project: the most expenses, then the most messages.
    largest = (
        Application.objects.filter(agreement__isnull=False).annotate(n=Count("expenses")).order_by("-n", "pk").first()
    )
    dossier = ProjectDossier.objects.create(application=largest)
    tracemalloc.start()
    started = time.perf_counter()
    jobs.run("grants.jobs.build_dossier", [dossier.pk], 1, "documents")
    dossier_seconds = time.perf_counter() - started
    _current, dossier_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    dossier.refresh_from_db()

    # 10,000 disbursements, then their statement (a tenth of them with another amount).
    reference = "bench:statement"
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal(args.lines) * 10, received_on=timezone.localdate()
    )
    commitments.commitment_commit(reference=reference, amount=Decimal(args.lines) * 5)
    tag = timezone.now().strftime("%H%M%S")
    for i in range(args.lines):
        commitments.commitment_disburse(reference=reference, amount=Decimal("1.00"), external_ref=f"BS{tag}-{i:05d}")
    day = timezone.localdate().isoformat()
    rows = ["交易流水号,交易日期,借方金额,对方户名,摘要"]
    rows += [f"bs{tag}-{i:05d},{day},{'1.00' if i % 10 else '1.01'},收款人{i},拨款" for i in range(args.lines)]
    data = ("\n".join(rows) + "\n").encode("gb18030")
    started = time.perf_counter()
    first = statements.statement_import(data=data, filename="bench.csv")
    import_seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = statements.statement_import(data=data, filename="bench.csv")
    again_seconds = time.perf_counter() - started

    print(f"back office on the large data set ({_common.machine()}, {connection.vendor})")
    print(
        f"dossier of project #{largest.pk} ({largest.n} expenses): {dossier_seconds:.2f} s, "
        f"{dossier.size / 1024:.0f} KiB zip, Python peak {dossier_peak / 2**20:.1f} MiB, "
        f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(
        f"bank statement of {args.lines:,} lines (GB 18030): imported {first.imported:,} and matched "
        f"{first.matched:,} in {import_seconds:.2f} s; the same file again: {again.imported} new, "
        f"{again.matched} matched in {again_seconds:.2f} s"
    )
    _common.record(
        "back_office",
        [
            _common.row("dossier of the largest project", dossier_seconds, "s", peak_mib=dossier_peak / 2**20),
            _common.row(f"bank statement of {args.lines:,} lines matched", import_seconds, "s"),
        ],
    )


if __name__ == "__main__":
    main()
