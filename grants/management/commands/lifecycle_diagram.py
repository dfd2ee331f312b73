from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from grants.lifecycle import diagram

STEPS_NOTE = """
A reason marked internal is for the fund's staff: it shows on the admin page's history (marked as
internal) and never on the group's timeline or in the email that tells the group its status
changed. Every reason box says who will read it. Review and award steps are internal because staff
weigh other applications and the ranking there; upholding an objection is internal because it is
written with the objection, whose author stays confidential. The group is told why it must change
its application, why it is not eligible, why it is not funded, why its report is returned and why
its project is terminated.
"""


class Command(BaseCommand):
    help = "Write the application lifecycle, drawn from the code, to docs/lifecycle.{dot,md,svg}."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "docs"))

    def handle(self, *args, out, **options):
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "lifecycle.dot").write_text(diagram.to_dot(), encoding="utf-8")
        (out / "lifecycle.md").write_text(
            "# The application lifecycle\n\nGenerated from the lifecycle table (`grants/lifecycle/steps.py`) by "
            "`python manage.py lifecycle_diagram`; do not edit by hand.\n\n```mermaid\n"
            + diagram.to_mermaid()
            + "```\n\n![lifecycle](lifecycle.svg)\n\n## The steps\n\n"
            + diagram.to_steps_table()
            + STEPS_NOTE,
            encoding="utf-8",
        )
        written = ["lifecycle.dot", "lifecycle.md"]
        svg = diagram.to_svg()
        if svg:
            (out / "lifecycle.svg").write_text(svg, encoding="utf-8")
            written.append("lifecycle.svg")
        else:
            self.stderr.write("Graphviz `dot` not found: lifecycle.svg not written.")
        self.stdout.write(f"lifecycle_diagram: wrote {', '.join(written)} to {out}")
