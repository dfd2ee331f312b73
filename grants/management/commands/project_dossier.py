"""Write a project's dossier ZIP (the same code the background job runs)."""

from django.core.management.base import BaseCommand, CommandError

from grants.models import Application
from grants.overview.dossier import build


class Command(BaseCommand):
    help = "Write the auditor's dossier of one project: project_dossier ID OUT.zip"

    def add_arguments(self, parser):
        parser.add_argument("application_id", type=int)
        parser.add_argument("out")

    def handle(self, *args, application_id, out, **options):
        application = Application.objects.filter(pk=application_id).first()
        if application is None:
            raise CommandError(f"no application {application_id}")
        with open(out, "wb") as handle:
            paths = build(application, handle)
        self.stdout.write(f"project_dossier: {len(paths)} files written to {out}")
