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
