import logging
import time

from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, connections

from fundpool.donation_services import events_process_queue

logger = logging.getLogger(__name__)


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
            try:
                done = events_process_queue(limit=limit)
            except (OperationalError, InterfaceError):
                if not loop:
                    raise
                # The database went away (restart, failover): what was in flight rolled back and is
                # still queued. Drop the dead connection and try again; without this the worker
                # exited and the queue stopped until someone restarted it.
                logger.warning("process_stripe_events: database unavailable; retrying in 1 s", exc_info=True)
                connections.close_all()
                time.sleep(1)
                continue
            total += done
            if not loop:
                break
            if not done:
                time.sleep(1)
        self.stdout.write(f"process_stripe_events: {total} event(s) processed")
