"""Two transitions racing on one application: exactly one wins (PostgreSQL, real threads)."""

import pytest
from django.db import connection

from grants import services
from grants.models import Application
from grants.services import GrantsError

from ..factories import ApplicationFactory
from ..fundpool.test_concurrency import race

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent sessions"),
    pytest.mark.django_db(transaction=True),
]


def test_submit_and_withdraw_racing_from_draft_leave_one_outcome():
    application = ApplicationFactory()
    leader = application.group.memberships.get(role="leader").user
    steps = ["submit", "withdraw"] * 3
    results = race(
        len(steps), lambda i: services.application_transition(application=application, name=steps[i], user=leader)
    )
    winners = [r for r in results if isinstance(r, Application)]
    assert len(winners) == 1, results
    assert all(isinstance(r, (Application, GrantsError)) for r in results), results
    final = Application.objects.get(pk=application.pk)
    assert final.status == winners[0].status
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    assert (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
        ).count()
        == 1
    )


def test_two_staff_racing_to_award_the_last_money_exactly_one_wins(roles):
    from decimal import Decimal

    from django.utils import timezone

    from fundpool import services as fund
    from fundpool.models import SourceType
    from fundpool.verify import verify
    from grants.lifecycle import Status

    from ..factories import UserFactory
    from .conftest import put_in_state

    fund.inflow_record(source_type=SourceType.DONATION, amount=Decimal("8000.00"), received_on=timezone.localdate())
    first, second = (put_in_state(ApplicationFactory(), Status.REVIEWED) for _ in range(2))
    deciders = [UserFactory(username=f"decider-{i}") for i in range(2)]
    for user in deciders:
        user.groups.add(roles["staff"])
    pairs = [(first, deciders[0]), (second, deciders[1])]
    results = race(
        2,
        lambda i: services.application_transition(
            application=pairs[i][0], name="propose_award", user=pairs[i][1], amount="8000", reason="最后的资金"
        ),
    )
    assert sum(isinstance(r, Application) for r in results) == 1, results
    assert sum(isinstance(r, GrantsError) for r in results) == 1, results
    statuses = sorted(Application.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == ["on_notice", "reviewed"]
    assert verify().ok
