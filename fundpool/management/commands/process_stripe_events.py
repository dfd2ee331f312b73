from django.core.management.base import BaseCommand

from fundpool.worker import Worker, stripe_events


class Command(BaseCommand):
    help = (
        "Process the Stripe events the webhook stored without processing (STRIPE_PROCESS_INLINE=0) or "
        "that failed before. --loop keeps going, polling every second; several may run at once. "
        "`run_worker` does this and the documents' work in one process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true")
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args, loop, limit, **options):
        total = Worker([stripe_events(limit)]).run(loop=loop)
        self.stdout.write(f"process_stripe_events: {total} event(s) processed")
