"""Accounting categories on payments: set when a tranche is paid (业务活动成本), corrected by a
correction record that supersedes it, the ledger entry itself untouched."""

import pytest
from django.utils import timezone

from fundpool.ledger import commitments
from fundpool.ledger.verify import verify
from fundpool.models import AccountingCategory, JournalEntry
from grants.common import GrantsError
from grants.delivery import corrections
from grants.lifecycle import Status
from grants.models import Correction, TrancheStatus

from .conftest import put_in_state
from .test_delivery import sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(application, staff):
    return sign(put_in_state(application, Status.AWARDED), staff, signed_on=timezone.localdate())


def test_a_paid_tranche_is_a_programme_cost_and_can_be_corrected(project, staff):
    tranche = project.tranches.get(status=TrancheStatus.PAID)
    entry = JournalEntry.objects.get(external_ref=tranche.payment_reference)
    assert entry.category == AccountingCategory.PROGRAM == commitments.category_of(entry)
    corrections.correct(
        application=project,
        kind="payment_category",
        target_id=tranche.pk,
        value=AccountingCategory.ADMIN,
        reason="这笔是培训场地费，属管理费用",
        actor=staff,
    )
    entry.refresh_from_db()
    assert entry.category == AccountingCategory.PROGRAM  # the entry is never edited
    assert commitments.category_of(entry) == AccountingCategory.ADMIN
    assert Correction.objects.get().before == AccountingCategory.PROGRAM
    assert verify().ok


def test_an_unknown_category_is_refused(project, staff):
    tranche = project.tranches.get(status=TrancheStatus.PAID)
    with pytest.raises(GrantsError):
        corrections.correct(
            application=project, kind="payment_category", target_id=tranche.pk, value="bogus", reason="x", actor=staff
        )
    assert not Correction.objects.exists()
