"""Check every agreement's version chain: each version's hash over the previous hash and its terms,
the stored PDFs against their hashes, version 1 against the terms signed."""

from django.core.management.base import BaseCommand, CommandError

from grants.award.versions import verify_all


class Command(BaseCommand):
    help = "Verify the hash chain of every agreement's versions and their PDFs."

    def handle(self, *args, **options):
        problems = verify_all()
        for p in problems:
            self.stderr.write(f"{p.agreement} v{p.version}: {p.what}")
        if problems:
            raise CommandError(f"agreement_verify: {len(problems)} problem(s)")
        self.stdout.write("agreement_verify: every version's hash chain and PDF holds.")
