from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fundpool.donations import gateway, reconcile


class Command(BaseCommand):
    help = (
        "List Stripe's events since a date (Stripe keeps 30 days) and process any this site missed, "
        "exactly once: events already received are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="a date, YYYY-MM-DD (Asia/Shanghai)")

    def handle(self, *args, since, **options):
        if not gateway.configured():
            raise CommandError("STRIPE_SECRET_KEY is not set: there is no Stripe account to reconcile with.")
        try:
            day = datetime.strptime(since, "%Y-%m-%d").date()
        except ValueError:
            raise CommandError(f"--since must be a date like 2026-09-09, not {since!r}") from None
        moment = timezone.make_aware(datetime.combine(day, time.min))
        try:
            result = reconcile.stripe_reconcile(since=moment)
        except gateway.GatewayError as exc:
            raise CommandError(f"Stripe could not be reached: {exc}") from None
        self.stdout.write(
            f"stripe_reconcile: {result.seen} event(s) at Stripe since {day}, {result.new} new here, "
            f"{result.processed} of them processed"
        )
