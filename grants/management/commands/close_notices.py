from django.core.management.base import BaseCommand

from grants.services import notices_close


class Command(BaseCommand):
    help = "Confirm every award whose public notice has ended with no open objection (run it on a schedule)."

    def handle(self, *args, **options):
        confirmed = notices_close()
        self.stdout.write(f"close_notices: {len(confirmed)} award(s) confirmed")
        for application in confirmed:
            self.stdout.write(f"  #{application.pk} {application.title}")
