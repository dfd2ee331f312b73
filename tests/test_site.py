"""The project as a newcomer meets it: health check, public summary, home page, demo data,
production settings."""

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

from demo.bulk import seed_bulk
from demo.money import seed_small
from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.ledger.verify import verify
from fundpool.models import Inflow, JournalEntry, Posting

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"


@pytest.mark.django_db
def test_summary_json_has_the_documented_shape_and_no_names(client, receive, gov, elderly, theme_restriction, today):
    receive("1000", funder=gov)
    receive("500", funder=gov, restriction=theme_restriction(elderly))
    receive("50", payer_name="李小红", anonymous=False)
    ledger_services.pledge_record(funder=gov, amount="2000", pledged_on=today)
    commitments.commitment_commit(reference="grant:s", amount="300")
    commitments.commitment_disburse(reference="grant:s", amount="100")
    response = client.get("/api/fund/summary.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.content.decode()
    data = json.loads(body)
    assert set(data) == {
        "currency",
        "as_of",
        "received",
        "pledged_outstanding",
        "available",
        "committed",
        "paid",
        "by_restriction",
    }
    assert data["currency"] == "CNY" and data["as_of"].endswith("+08:00")
    assert data["received"] == {
        "government": "1500.00",
        "csr": "0.00",
        "donation": "50.00",
        "trust": "0.00",
        "matching": "0.00",
        "recovery": "0.00",
    }
    assert (data["pledged_outstanding"], data["available"], data["committed"], data["paid"]) == (
        "2000.00",
        "1250.00",
        "200.00",
        "100.00",
    )
    assert {"kind": "theme", "theme": "elderly", "call": None, "available": "500.00"} in data["by_restriction"]
    assert "李小红" not in body


@pytest.mark.django_db
def test_summary_json_refuses_writes(client):
    assert client.post("/api/fund/summary.json").status_code == 405


@pytest.mark.django_db
def test_home_page_shows_the_pool_in_chinese(client, receive, gov):
    receive("8888.00", funder=gov)
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html and "可用余额" in html and "8,888.00" in html
    assert 'name="viewport"' in html


@pytest.mark.django_db
def test_the_admin_is_at_admin(client):
    response = client.get("/admin/")
    # Its login is the site's own (which asks for the second factor), coming back to the admin.
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/admin/"


def _fingerprint():
    return (
        list(Inflow.objects.order_by("pk").values_list("source_type", "amount", "received_on", "restriction_kind")),
        list(Posting.objects.order_by("pk").values_list("account__code", "amount")),
    )


@pytest.mark.django_db
def test_seed_demo_is_deterministic_and_verifies():
    prints = []
    for _ in range(2):
        with transaction.atomic():
            seed_small(seed=11, donations=40)
            assert verify().ok, verify().problems
            prints.append(_fingerprint())
            transaction.set_rollback(True)
    assert prints[0] == prints[1]
    with transaction.atomic():
        seed_small(seed=12, donations=40)
        assert _fingerprint() != prints[0]
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_seed_demo_command_tells_the_logins_and_does_not_load_twice(capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    for login in ("admin", "staff", "finance", "reviewer", "applicant"):
        assert f"  {login}" in first
    count = JournalEntry.objects.count()
    call_command("seed_demo")
    assert "not added again" in capsys.readouterr().out
    assert JournalEntry.objects.count() == count
    assert Inflow.objects.filter(source_type="donation").count() >= 300
    assert Inflow.objects.filter(pledge__isnull=False, source_type="government").count() == 2
    from grants.lifecycle import STATES
    from grants.models import Application, Call, ResidentGroup

    assert set(Application.objects.values_list("status", flat=True)) == {s.value for s in STATES}
    assert Call.objects.count() == 3
    assert set(ResidentGroup.objects.values_list("filing_status", flat=True)) == {
        "filed",
        "pending",
        "returned",
        "not_required",
    }
    assert verify().ok
    # Delivery: projects under way with activities and expenses, one line beyond its tolerance,
    # one report overdue, completed projects with accepted reports and an outcome draft.
    from grants.delivery.selectors import WarningKind, delivery_warnings
    from grants.models import Activity, Expense, Outcome, ProjectReport

    under_way = Application.objects.filter(status="in_delivery")
    assert under_way.count() == 2
    assert all(Activity.objects.filter(application=a).exists() for a in under_way)
    assert all(Expense.objects.filter(application=a).exists() for a in under_way)
    kinds = {w.kind for w in delivery_warnings()}
    assert {WarningKind.OVERSPENT, WarningKind.REPORT_OVERDUE, WarningKind.INACTIVE} <= kinds
    assert Expense.objects.filter(status="pending").count() == 1
    completed = Application.objects.get(status="completed")
    assert set(ProjectReport.objects.filter(application=completed).values_list("kind", "status")) == {
        ("midterm", "accepted"),
        ("final", "accepted"),
    }
    assert Outcome.objects.filter(application=completed).exists()
    assert ProjectReport.objects.get(application__status="reporting", kind="final").status == "submitted"
    # Donations of every kind.
    from fundpool.models import Campaign, Donation, EntryKind

    assert set(Donation.objects.values_list("channel", flat=True)) == {"stripe", "platform", "bank", "match"}
    assert {"confirmed", "pending", "failed", "expired", "cancelled"} <= set(
        Donation.objects.values_list("status", flat=True)
    )
    kinds = set(JournalEntry.objects.values_list("kind", flat=True))
    assert {EntryKind.REFUND, EntryKind.CHARGEBACK, EntryKind.REVERSAL} <= kinds
    campaign = Campaign.objects.get()
    assert campaign.donations.filter(channel="match").exists()
    assert Donation.objects.exclude(receipt_number=None).count() == 1
    from cms.models import OutcomePage

    assert OutcomePage.objects.live().filter(application=completed).exists()
    assert verify().ok


@pytest.mark.django_db
def test_bulk_seed_leaves_a_ledger_that_verifies():
    result = seed_bulk(seed=5, donations=600, commitments=8, chunk=100)
    assert result["commitments"] == 8
    assert Posting.objects.count() == result["postings"]
    report = verify()
    assert report.ok, report.problems
    commitments.commitment_commit(reference="after-bulk", amount=Decimal("10.00"))
    assert verify().ok


@pytest.mark.django_db
def test_bulk_seed_writes_the_grants_and_donation_rows_behind_its_money():
    from cms.models import OutcomePage
    from demo.bulk import bulk_grant_writer
    from demo.site import bulk_outcome_pages
    from fundpool.models import Account, AccountKind, Commitment, Donation
    from grants.models import Application, Tranche

    result = seed_bulk(seed=5, donations=600, commitments=12, chunk=100, donation_rows=True, grants=bulk_grant_writer())
    assert verify().ok
    grants = Application.objects.filter(call__slug__startswith="bulk-")
    assert grants.count() == result["commitments"] == 12
    assert set(Commitment.objects.values_list("reference", flat=True)) == {a.reference for a in grants}
    assert set(grants.values_list("status", flat=True)) <= {"awarded", "in_delivery", "completed"}
    for app in grants:
        paid = Account.objects.get(kind=AccountKind.PAID, reference=app.reference).balance
        tranches = Tranche.objects.filter(application=app, status="paid")
        assert sum((t.paid_amount for t in tranches), Decimal(0)) == paid
        assert JournalEntry.objects.filter(external_ref__in=[t.payment_reference for t in tranches]).count() == len(
            tranches
        )
    gifts = Donation.objects.all()
    assert gifts.count() == Inflow.objects.count() == 600
    assert not gifts.exclude(status="confirmed").exists() and not gifts.filter(inflow=None).exists()
    assert gifts.filter(channel="stripe").count() == gifts.exclude(stripe_session_id=None).count() > 0
    completed = grants.filter(status="completed").count()
    assert bulk_outcome_pages(count=2) == min(2, completed)
    assert OutcomePage.objects.live().count() == min(2, completed)


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-for-the-check-0123456789",
        "ALLOWED_HOSTS": "fund.example.org",
        "SITE_BASE_URL": "https://fund.example.org",
        "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
