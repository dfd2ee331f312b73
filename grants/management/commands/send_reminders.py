from django.core.management.base import BaseCommand

from grants.delivery.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "Email groups what is due on their projects and staff and finance the delivery warnings (each "
        "person at most one reminder a day). The background worker runs this daily on its schedule "
        "(grants.jobs.send_reminders); this runs it now."
    )

    def handle(self, *args, **options):
        run = reminders_send()
        self.stdout.write(
            f"send_reminders: {run.tranches_due} tranche(s) became due, {run.emails} email(s) sent, "
            f"{run.skipped} already sent today"
        )
