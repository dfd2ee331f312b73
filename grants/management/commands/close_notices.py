from django.core.management.base import BaseCommand

from grants.award.services import notices_close, objection_digest_send


class Command(BaseCommand):
    help = (
        "Confirm every award whose public notice has ended with no open objection, and email the fund's "
        "deciders one digest of the objections they have not been told of. The background worker runs this "
        "on its schedule (grants.jobs.close_notices, every JOB_CLOSE_NOTICES_EVERY minutes); this runs it now."
    )

    def handle(self, *args, **options):
        confirmed = notices_close()
        self.stdout.write(f"close_notices: {len(confirmed)} award(s) confirmed")
        for application in confirmed:
            self.stdout.write(f"  #{application.pk} {application.title}")
        digest = objection_digest_send()
        reported = digest.objections.count() if digest else 0
        self.stdout.write(f"objection digest: {reported} objection(s) reported")
