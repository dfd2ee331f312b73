from django.core.management.base import BaseCommand

from fundpool.ledger.verify import Report, check_monthly_income, monthly_income_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the monthly income totals (the transparency dashboard's monthly chart) from the "
        "income postings, for when ledger_verify reports them out of step (for example after "
        "postings were written by code older than the totals). The postings themselves are not touched."
    )

    def handle(self, *args, **options):
        before = Report()
        check_monthly_income(before)
        rows = monthly_income_rebuild()
        after = Report()
        check_monthly_income(after)
        self.stdout.write(
            f"rebuild_monthly_income: {rows} month/source row(s); "
            f"{len(before.problems)} out of step before, {len(after.problems)} after"
        )
