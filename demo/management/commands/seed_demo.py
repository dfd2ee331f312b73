import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from demo.bulk import bulk_grant_writer, seed_bulk
from demo.conversations import seed_conversations
from demo.money import seed_donations, seed_small
from demo.programme import seed_grants, seed_places
from demo.site import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_TOTP_USER, bulk_outcome_pages, seed_users
from fundpool.models import Inflow


class Command(BaseCommand):
    help = "Load deterministic Chinese demo data. --size large adds ≥ 1,000,000 postings for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["small", "large"], default="small")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--donations", type=int, default=None, help="override the number of bulk donations")
        parser.add_argument("--commitments", type=int, default=None, help="override the number of bulk commitments")
        parser.add_argument(
            "--outcome-pages", type=int, default=300, help="published outcome pages of bulk completed projects"
        )

    def handle(self, *args, size, seed, donations, commitments, outcome_pages, **options):
        # The emails its steps send go through the outbox like any others (to @demo.invalid
        # addresses; under `make run` the worker prints them), so staff's 发件箱 shows them.
        self._seed(size=size, seed=seed, donations=donations, commitments=commitments, outcome_pages=outcome_pages)

    def _publish_outcomes(self):
        """The completed demo project's outcome page was drafted when its final report was accepted;
        staff have since written it up and published it."""
        from cms.models import OutcomePage
        from cms.outcome_drafts import draft_outcome_page
        from grants.models import Outcome

        for outcome in Outcome.objects.exclude(application__outcome_page__isnull=False):
            draft_outcome_page(Outcome, outcome)  # drafted after commit; inside a transaction, here
        for page in OutcomePage.objects.filter(live=False):
            page.body = [
                ("heading", "居民怎么说"),
                ("quote", "以前一个人吃饭，现在每周都盼着来活动室。"),
            ]
            page.save_revision().publish()

    def _seed(self, *, size, seed, donations, commitments, outcome_pages):
        started = time.perf_counter()
        seed_places()
        logins = seed_users()
        if Inflow.objects.exists():
            self.stdout.write("seed_demo: the database already holds money; demo money not added again.")
            fresh = False
        else:
            result = seed_small(seed=seed)
            self.stdout.write(f"seed_demo: small data set loaded ({result['donations']} donations).")
            fresh = True
        users = get_user_model().objects.in_bulk([u for u, _e, _d in logins], field_name="username")
        grants = seed_grants(
            seed=seed,
            applicant=users["applicant"],
            staff=users["staff"],
            decider=users["admin"],  # proposes the awards; staff sign them (four eyes)
            reviewers=[users["reviewer"], users["reviewer2"]],
            conflicted=users["reviewer3"],
        )
        if grants["applications"]:
            self.stdout.write(
                f"seed_demo: {grants['applications']} applications, one in every lifecycle state; "
                "reviews scored, a proposed award on public notice with an objection, and another whose notice ends "
                "in 3 minutes (the worker confirms it by itself)."
            )
            talks = seed_conversations(applicant=users["applicant"], staff=users["staff"])
            self.stdout.write(
                f"seed_demo: {talks} conversation(s): a request for information to the demo group and its "
                "question waiting for staff; a reviewer's question to pass on."
            )
        self._publish_outcomes()
        gifts = seed_donations(staff=users["staff"])
        if gifts["donations"]:
            self.stdout.write(
                f"seed_demo: {gifts['donations']} donations: online (confirmed, pending, failed, expired, "
                "cancelled), a refund, a dispute won and one lost, a matching campaign, platform and bank imports."
            )
        if fresh and size == "large":
            # After the demo's own grants and gifts (they are seeded only into an empty table).
            try:
                result = seed_bulk(
                    seed=seed,
                    donations=donations if donations is not None else 360_000,
                    commitments=commitments if commitments is not None else 5_000,
                    stream=self.stderr,
                    donation_rows=True,
                    grants=bulk_grant_writer(seed=seed),
                )
                pages = bulk_outcome_pages(count=outcome_pages, stream=self.stderr)
            except KeyboardInterrupt:
                raise CommandError("interrupted") from None
            self.stdout.write(
                f"seed_demo: large data set loaded: {result['donations']:,} donations (each a Donation row), "
                f"{result['commitments']:,} commitments (each an awarded, in-delivery or completed "
                f"application), {result['postings']:,} postings, {pages:,} published outcome pages."
            )
        self.stdout.write(f"seed_demo: done in {time.perf_counter() - started:.1f}s")
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        self.stdout.write("  staff admin /admin/ signs in by username; the site's pages by email")
        self.stdout.write(f"  {DEMO_TOTP_USER} also asks for an authenticator code; its secret: {DEMO_TOTP_SECRET}")
        for username, email, description in logins:
            self.stdout.write(f"  {username:<10} {email:<24} {description}")
        # The address links in emails use too (SITE_BASE_URL; `make run` passes the one it serves on).
        self.stdout.write(f"Site: {settings.SITE_BASE_URL}/   Staff admin: {settings.SITE_BASE_URL}/admin/")
