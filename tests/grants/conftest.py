from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fundpool import services as fund
from fundpool.models import SourceType
from grants.lifecycle import HOLDING_MONEY, Status
from grants.models import Application, ReviewAssignment

from ..factories import ApplicationFactory, UserFactory


def put_in_state(application: Application, state: str) -> Application:
    """Test set-up only: place an application in a state as if the earlier steps had happened
    (the protected field is written with a queryset update, which the lifecycle never does)."""
    updates = {"status": state}
    if state in HOLDING_MONEY:
        fund.inflow_record(
            source_type=SourceType.DONATION,
            amount=Decimal("9000.00"),
            received_on=timezone.localdate(),
            description="set-up",
        )
        fund.commitment_commit(reference=application.reference, amount=Decimal("9000.00"))
        updates["awarded_amount"] = Decimal("9000.00")
    if state == Status.ON_NOTICE:
        updates["notice_ends_at"] = timezone.now() - timedelta(minutes=1)
    Application.objects.filter(pk=application.pk).update(**updates)
    return Application.objects.get(pk=application.pk)


@pytest.fixture
def application(db):
    return ApplicationFactory()


@pytest.fixture
def leader(application):
    return application.group.memberships.get(role="leader").user


@pytest.fixture
def with_reviewers(application):
    for _ in range(application.call.reviewers_per_application):
        ReviewAssignment.objects.create(application=application, reviewer=UserFactory())
    return application


@pytest.fixture
def pool_money(db):
    fund.inflow_record(
        source_type=SourceType.DONATION,
        amount=Decimal("100000.00"),
        received_on=timezone.localdate(),
        description="pool",
    )
