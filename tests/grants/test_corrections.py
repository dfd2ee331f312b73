"""Corrections, never edits: each supersedes the recorded value, which stays beside it, with a
reason; a payment reference is reversed and posted again in the ledger, which stays verified."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fundpool.ledger.selectors import commitment_balances
from fundpool.ledger.verify import verify
from fundpool.models import JournalEntry
from grants.common import GrantsError
from grants.delivery import corrections
from grants.lifecycle import Status
from grants.models import Application, Correction, Tranche, TrancheStatus

from .conftest import put_in_state
from .test_delivery import accept, report, sign, spend

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(application, staff):
    return sign(put_in_state(application, Status.AWARDED), staff, signed_on=timezone.localdate() - timedelta(days=5))


def test_a_payment_reference_is_reversed_and_posted_again(project, staff):
    tranche = project.tranches.get(status=TrancheStatus.PAID)
    old = tranche.payment_reference
    paid_before = commitment_balances(reference=project.reference)["paid"]
    correction = corrections.correct(
        application=project,
        kind="payment_reference",
        target_id=tranche.pk,
        value="BANK-2026-0042",
        reason="录错了流水号",
        actor=staff,
    )
    tranche.refresh_from_db()
    assert tranche.payment_reference == "BANK-2026-0042"
    assert (correction.before, correction.after) == (old, "BANK-2026-0042")
    assert correction.reversal.reversal_of == JournalEntry.objects.get(external_ref=old)
    assert correction.new_entry.external_ref == "BANK-2026-0042"
    assert commitment_balances(reference=project.reference)["paid"] == paid_before
    assert verify().ok


def test_a_signing_date_correction_moves_the_dates_counted_from_it(project, staff):
    agreement = project.agreement
    earlier = agreement.signed_on - timedelta(days=2)
    final_before = project.final_due_on
    Application.objects.filter(pk=project.pk).update(awarded_at=timezone.now() - timedelta(days=30))
    project.refresh_from_db()
    corrections.correct(
        application=project,
        kind="signing_date",
        target_id=0,
        value=earlier.isoformat(),
        reason="合同上写的是前天",
        actor=staff,
    )
    agreement.refresh_from_db()
    project.refresh_from_db()
    assert agreement.signed_on == earlier and project.final_due_on == final_before - timedelta(days=2)
    assert Correction.objects.get().before == (earlier + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("signing_date", "tomorrow", "未来"),
        ("payment_date", "tomorrow", "未来"),
        ("payment_reference", "", "流水号"),
        ("evaluation_score", "101", "0"),
        ("expense_amount", "abc", ""),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(project, staff, leader, kind, value, problem):
    expense = spend(project, leader, "100.00")
    tranche = project.tranches.get(status=TrancheStatus.PAID)
    rep = report(project, leader, "midterm")
    accept(rep, staff)
    if value == "tomorrow":
        value = (timezone.localdate() + timedelta(days=1)).isoformat()
    target = {
        "payment_date": tranche.pk,
        "payment_reference": tranche.pk,
        "evaluation_score": rep.pk,
        "expense_amount": expense.pk,
    }.get(kind, 0)
    with pytest.raises(GrantsError) as refused:
        corrections.correct(application=project, kind=kind, target_id=target, value=value, reason="更正", actor=staff)
    assert problem in str(refused.value)
    assert not Correction.objects.exists()


def test_a_reason_is_required_and_only_staff_correct(project, staff, leader):
    tranche = project.tranches.get(status=TrancheStatus.PAID)
    with pytest.raises(GrantsError):
        corrections.correct(
            application=project, kind="payment_date", target_id=tranche.pk, value="2026-01-01", reason="", actor=staff
        )
    with pytest.raises(GrantsError):
        corrections.correct(
            application=project, kind="payment_date", target_id=tranche.pk, value="2026-01-01", reason="x", actor=leader
        )
    assert not Correction.objects.exists()


def test_score_and_expense_corrections_keep_both_values(project, staff, leader, client):
    expense = spend(project, leader, "100.00")
    rep = report(project, leader, "midterm")
    accept(rep, staff, score="70")
    corrections.correct(
        application=project, kind="evaluation_score", target_id=rep.pk, value="75", reason="加错分", actor=staff
    )
    corrections.correct(
        application=project,
        kind="expense_amount",
        target_id=expense.pk,
        value="90.00",
        reason="票据是90元",
        actor=staff,
    )
    rep.refresh_from_db()
    expense.refresh_from_db()
    assert (rep.score, expense.amount) == (Decimal("75.00"), Decimal("90.00"))
    client.force_login(staff)
    page = client.get(reverse("grants_admin:application", args=[project.pk])).content.decode()
    assert "70.00" in page and "75" in page and "加错分" in page and "票据是90元" in page
    assert Tranche.objects.filter(application=project).exists()
