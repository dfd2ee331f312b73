import time

from django.core.management.base import BaseCommand

from fundpool.donation_services import events_process_queue


class Command(BaseCommand):
    help = (
        "Process Stripe events the webhook stored without processing (STRIPE_PROCESS_INLINE=0) or that "
        "failed before. --loop keeps going, polling every second; several may run at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, loop, limit, **options):
        total = 0
        while True:
            done = events_process_queue(limit=limit)
            total += done
            if not loop:
                break
            if not done:
                time.sleep(1)
        self.stdout.write(f"process_stripe_events: {total} event(s) processed")
