from django.core.management.base import BaseCommand

from fundpool.donations.stripe_events import events_process_queue


class Command(BaseCommand):
    help = (
        "Process now the Stripe events stored but not yet processed, and those that failed before. The "
        "background worker does this by itself (a job per event, and a sweep every minute); this is for "
        "an operator who wants it done at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, limit, **options):
        total = events_process_queue(limit=limit, retry_failed=True)
        self.stdout.write(f"process_stripe_events: {total} event(s) processed")
