from django.core.management.base import BaseCommand

from fundpool.worker import TASKS, Worker


class Command(BaseCommand):
    help = (
        "The background worker: processes the Stripe events the webhook queued and generates the "
        "documents staff requested. Runs until stopped (SIGTERM/SIGINT); --once does one pass. "
        "Several may run at once. The production profile starts two, --only stripe and --only "
        "documents, so that a long report never holds up gifts (scripts/serve-production)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one pass over what is waiting, then exit")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between looks when idle")
        parser.add_argument("--only", choices=sorted(TASKS), help="do only this kind of work")

    def handle(self, *args, once, poll, only, **options):
        tasks = [TASKS[only]()] if only else [make() for make in TASKS.values()]
        total = Worker(tasks, poll=poll).run(loop=not once)
        self.stdout.write(f"run_worker: {total} task(s) done")
