from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fundpool.donations import imports as donation_imports
from fundpool.errors import FundpoolError


class Command(BaseCommand):
    help = (
        "Import gifts from a fundraising platform's export or a bank statement (CSV). Every row is "
        "checked first; with any bad row nothing is written unless --only-valid. Rows already "
        "imported (by their reference) are skipped, so running it twice adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--format", required=True, choices=["platform", "bank"], dest="channel")
        parser.add_argument("--only-valid", action="store_true", help="import the valid rows, leave the bad ones")
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")

    def handle(self, *args, file, channel, only_valid, dry_run, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        preview = donation_imports.import_preview(channel=channel, data=path.read_bytes())
        for problem in preview.problems:
            self.stderr.write(str(problem))
        if preview.problems:
            raise CommandError("The file cannot be imported.")
        for row in preview.invalid:
            self.stderr.write(f"line {row.line}: {' '.join(str(e) for e in row.errors)}")
        self.stdout.write(
            f"{len(preview.valid)} valid row(s), {preview.total} in all; {len(preview.invalid)} with errors; "
            f"{len(preview.duplicates)} already imported"
        )
        if dry_run:
            return
        try:
            batch = donation_imports.donations_import(preview=preview, only_valid=only_valid, filename=path.name)
        except FundpoolError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"imported {batch.imported} gift(s), {batch.total}; skipped {batch.skipped}")
