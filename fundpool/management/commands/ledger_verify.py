import sys
import time

from django.core.management.base import BaseCommand

from fundpool.ledger.verify import verify


class Command(BaseCommand):
    help = "Recompute every ledger invariant; exit 0 with a one-line summary when clean, 1 listing offending rows."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20, help="offending rows to list per check")

    def handle(self, *args, limit, **options):
        started = time.perf_counter()
        report = verify(limit=limit)
        seconds = time.perf_counter() - started
        c = report.counts
        figures = (
            f"{c['entries']} entries, {c['postings']} postings, {c['accounts']} accounts, "
            f"{c['lots']} lots, {c['commitments']} commitments in {seconds:.2f}s"
        )
        if report.ok:
            self.stdout.write(f"ledger_verify: OK — {figures}")
            return
        self.stderr.write(f"ledger_verify: {len(report.problems)} problem(s) — {figures}")
        for check, detail in report.problems:
            self.stderr.write(f"  [{check}] {detail}")
        sys.exit(1)
