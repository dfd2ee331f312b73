"""Import the fund's bank statement (CSV) and match its outgoing lines to disbursements."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fundpool.ledger.statements import statement_import, unmatched


class Command(BaseCommand):
    help = "Import a bank statement (CSV, UTF-8 or GB 18030) and match it to the disbursements."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        result = statement_import(data=path.read_bytes(), filename=path.name)
        if result.problems:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError("import_bank_statement: nothing imported")
        lines, entries = unmatched()
        self.stdout.write(
            f"import_bank_statement: {result.imported} line(s) imported, {result.skipped} already imported, "
            f"{result.matched} matched; unmatched: {lines.count()} statement line(s), {entries.count()} disbursement(s)"
        )
