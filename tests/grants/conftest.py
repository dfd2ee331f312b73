from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fundpool.ledger import commitments
from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType
from grants.lifecycle import HOLDING_MONEY, Status
from grants.models import Application, ReviewAssignment

from ..factories import ApplicationFactory, UserFactory


def put_in_state(application: Application, state: str) -> Application:
    """Test set-up only: place an application in a state as if the earlier steps had happened
    (the protected field is written with a queryset update, which the lifecycle never does)."""
    updates = {"status": state}
    if state in HOLDING_MONEY:
        ledger_services.inflow_record(
            source_type=SourceType.DONATION,
            amount=Decimal("9000.00"),
            received_on=timezone.localdate(),
            description="set-up",
        )
        commitments.commitment_commit(reference=application.reference, amount=Decimal("9000.00"))
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
    ledger_services.inflow_record(
        source_type=SourceType.DONATION,
        amount=Decimal("100000.00"),
        received_on=timezone.localdate(),
        description="pool",
    )


def application_form(application, **overrides):
    """What the application page posts: the group's fields, two budget lines (¥10,000), a milestone."""
    data = {
        "title": application.title,
        "problem": application.problem_id,
        "summary": "为独居老人提供每周三次午餐。",
        "activities": "每周一、三、五中午供餐。",
        "beneficiaries": "社区独居老人",
        "beneficiary_count": "40",
        "team": "王芳（负责人）",
        "own_contribution": "0",
        "matched_contribution": "0",
        "requested_amount": "10000.00",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-category": "food",
        "lines-0-item": "午餐食材",
        "lines-0-unit_cost": "20",
        "lines-0-quantity": "400",
        "lines-0-amount": "8000.00",
        "lines-1-category": "materials",
        "lines-1-item": "餐具",
        "lines-1-unit_cost": "100",
        "lines-1-quantity": "20",
        "lines-1-amount": "2000.00",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "20",
        "milestones-0-title": "开始供餐",
        "milestones-0-due_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
    }
    data.update(overrides)
    return data
