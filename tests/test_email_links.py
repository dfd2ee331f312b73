"""Every link in every email the site sends starts with the site's address, SITE_BASE_URL, whatever
host the request that caused it came through: ours (grants, donations), allauth's (confirm the
address, reset the password, unknown or existing account) and Wagtail's (admin password reset)."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from core import site
from fundpool.donations import notify as donation_notify
from fundpool.ledger import services as ledger_services
from fundpool.models import Donation, DonationChannel, DonationStatus, SourceType
from grants import notify
from grants.delivery.selectors import DeliveryWarning, WarningKind
from grants.lifecycle import Status
from grants.models import GroupInvitation, Objection, ReviewAssignment
from tests.factories import ApplicationFactory, GroupFactory, UserFactory
from tests.grants.conftest import put_in_state

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://fund.example.org"
# The request comes in through another name, as behind a proxy or from runserver's own port.
ELSEWHERE = {"HTTP_HOST": "127.0.0.1:8000"}
LINK = re.compile(r"https?://[^\s<>\"']+")


def links(message) -> list[str]:
    bodies = [message.body] + [content for content, _type in getattr(message, "alternatives", [])]
    return [link for body in bodies for link in LINK.findall(body)]


def assert_links_on_the_site(messages):
    assert messages, "no email was sent"
    for message in messages:
        found = links(message)
        assert found, f"no link in “{message.subject}”"
        wrong = [link for link in found if link != BASE and not link.startswith(BASE + "/")]
        assert not wrong, f"“{message.subject}” links elsewhere: {wrong}"


@pytest.fixture(autouse=True)
def _site_address(settings):
    settings.SITE_BASE_URL = BASE


def test_site_url_puts_paths_and_foreign_urls_on_the_site():
    with override_settings(SITE_BASE_URL=BASE):
        assert site.site_url("/review/3/") == f"{BASE}/review/3/"
        assert site.site_url("http://127.0.0.1:8000/accounts/signup/?next=/x#y") == (
            f"{BASE}/accounts/signup/?next=/x#y"
        )
        assert site.site_url() == BASE


def test_the_grants_emails_link_to_the_site(staff, roles, mailoutbox):
    application = ApplicationFactory()
    group = application.group
    notify.group_registered(group)
    notify.group_filing_changed(group)
    notify.group_invitation(GroupInvitation.objects.create(group=group, email="new@example.invalid"))
    notify.application_status_changed(application, "补充预算", step="return_for_changes")
    on_notice = put_in_state(ApplicationFactory(), Status.ON_NOTICE)
    objection = Objection.objects.create(application=on_notice, name="张三", contact="zs@example.invalid", text="异议")
    notify.objection_confirm_link(objection)
    notify.objection_digest([objection], ["decider@example.invalid"])
    reviewer = UserFactory()
    assignment = ReviewAssignment.objects.create(
        application=application, reviewer=reviewer, declared_at=timezone.now(), conflict_note="亲属"
    )
    notify.reviewer_reinstated(assignment)
    warning = DeliveryWarning(kind=WarningKind.REPORT_OVERDUE, application=application, detail="中期报告逾期")
    today = timezone.localdate()
    notify.delivery_reminder(
        "leader@example.invalid",
        f"group:{group.pk}",
        {"group": group, "warnings": [warning], "upcoming": [(application, "中期报告", today + timedelta(days=3))]},
        today,
    )
    notify.delivery_reminder("staff@example.invalid", "staff", {"warnings": [warning], "upcoming": []}, today)
    assert len(mailoutbox) == 9
    assert_links_on_the_site(mailoutbox)


def test_the_donors_acknowledgement_links_to_the_site(mailoutbox):
    gift = ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("50.00"), received_on=timezone.localdate()
    )
    donation = Donation.objects.create(
        channel=DonationChannel.PLATFORM,
        status=DonationStatus.CONFIRMED,
        amount=Decimal("50.00"),
        inflow=gift,
        import_ref="platform:links-1",
        email="donor@example.invalid",
        confirmed_at=timezone.now(),
    )
    donation_notify.donation_acknowledgement(donation)
    assert_links_on_the_site(mailoutbox)
    assert reverse("donation_acknowledgement", args=[donation.token]) in mailoutbox[0].body


def test_signing_up_sends_a_confirmation_link_on_the_site(client, mailoutbox):
    client.post(
        reverse("account_signup"),
        {
            "email": "newcomer@example.invalid",
            "password1": "Long-enough-pass-2026",
            "password2": "Long-enough-pass-2026",
        },
        **ELSEWHERE,
    )
    assert_links_on_the_site(mailoutbox)
    assert "127.0.0.1:8000" not in mailoutbox[0].body  # nor greets from the request's host


def test_signing_up_again_with_a_known_address_links_to_the_site(client, mailoutbox):
    UserFactory(email="known@example.invalid")
    client.post(
        reverse("account_signup"),
        {"email": "known@example.invalid", "password1": "Long-enough-pass-2026", "password2": "Long-enough-pass-2026"},
        **ELSEWHERE,
    )
    assert_links_on_the_site(mailoutbox)


@pytest.mark.parametrize("email", ["member@example.invalid", "nobody@example.invalid"])
def test_the_password_reset_mail_links_to_the_site(client, mailoutbox, email):
    UserFactory(email="member@example.invalid")
    client.post(reverse("account_reset_password"), {"email": email}, **ELSEWHERE)
    assert_links_on_the_site(mailoutbox)


@pytest.mark.parametrize("module", ["config.settings.dev", "config.settings.production"])
def test_wagtails_base_url_is_the_sites(module):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "WAGTAILADMIN_BASE_URL")},
        "DJANGO_SETTINGS_MODULE": module,
        "SITE_BASE_URL": BASE + "/",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "fund.example.org",
    }
    code = "from django.conf import settings as s; print(s.SITE_BASE_URL, s.WAGTAILADMIN_BASE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == [BASE, BASE]


def test_production_refuses_to_start_without_the_sites_address():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_BASE_URL")},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "fund.example.org",
    }
    code = "from django.conf import settings as s; s.SITE_BASE_URL"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Set the SITE_BASE_URL environment variable" in result.stderr


def test_the_admin_password_reset_links_to_the_site(client, staff, mailoutbox, settings):
    settings.WAGTAILADMIN_BASE_URL = settings.SITE_BASE_URL  # as the settings module derives it
    client.post(reverse("wagtailadmin_password_reset"), {"email": staff.email}, **ELSEWHERE)
    assert_links_on_the_site(mailoutbox)


def test_an_email_sent_with_no_request_links_to_the_site(staff, mailoutbox):
    """Scheduled steps (reminders, closing notices) send without any request at all."""
    group = GroupFactory()
    notify.group_filing_changed(group)
    assert mail.outbox and links(mail.outbox[0])[0] == f"{BASE}{reverse('grants:group_detail', args=[group.pk])}"
