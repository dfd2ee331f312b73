"""Words that mean two things get a context each, so one translation never serves two meanings."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants import transitions
from grants.delivery import payments as delivery_payments
from grants.lifecycle import Status
from grants.models import Recovery

from .conftest import put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_back(application, staff, finance):
    """A terminated project that was told to pay back ¥280, and did."""
    project = put_in_state(application, Status.AWARDED)
    transitions.application_transition(
        application=project, name="sign_agreement", user=staff, signed_on=timezone.localdate()
    )
    transitions.application_transition(
        application=project, name="terminate", user=staff, reason="团队解散", recovery_amount="280.00"
    )
    recovery = Recovery.objects.get(application=project)
    delivery_payments.recovery_receive(
        recovery=recovery, actor=finance, amount="280.00", received_on=timezone.localdate(), reference="RET-280"
    )
    recovery.refresh_from_db()
    assert recovery.received_total == Decimal("280.00")
    return project


def test_money_paid_back_reads_as_returned_not_as_the_pools_income(client, paid_back, staff):
    client.force_login(staff)
    page = client.get(reverse("grants_admin:application", args=[paid_back.pk])).content.decode()
    recovery_line = next(line for line in page.splitlines() if "团队解散" in line and "280.00" in line)
    assert "· 已退回 —" in recovery_line
    assert "累计收入" not in recovery_line


def test_the_pools_received_figure_keeps_its_own_word(client, db):
    page = client.get(reverse("transparency")).content.decode()
    assert "累计收入" in page
