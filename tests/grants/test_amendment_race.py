"""Two finance staff confirming one approved increase at once: the money is committed once
(PostgreSQL, real threads)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from fundpool.ledger import services as ledger_services
from fundpool.ledger.selectors import commitment_balances
from fundpool.ledger.verify import verify
from fundpool.models import SourceType
from grants import transitions
from grants.common import GrantsError
from grants.delivery import amendments
from grants.lifecycle import Status
from grants.models import Amendment, AmendmentStatus

from ..factories import ApplicationFactory, UserFactory
from ..fundpool.test_concurrency import race
from .conftest import put_in_state

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent sessions"),
    pytest.mark.django_db(transaction=True),
]


def test_two_confirmations_of_one_increase_commit_the_money_once(roles):
    staff = UserFactory(username="desk")
    staff.groups.add(roles["staff"])
    payers = []
    for i in range(4):
        user = UserFactory(username=f"finance-{i}")
        user.groups.add(roles["finance"])
        payers.append(user)
    project = transitions.application_transition(
        application=put_in_state(ApplicationFactory(requested_amount=Decimal("12000.00")), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=timezone.localdate(),
    )
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("5000"), received_on=timezone.localdate()
    )
    before = commitment_balances(reference=project.reference)
    amendment = amendments.amendment_request(
        application=project, user=staff, kind="amount", details={"amount": "10000.00"}, why="参与人数增加"
    )
    amendments.amendment_decide(amendment=amendment, actor=staff, approve=True, reason="同意")
    results = race(len(payers), lambda i: amendments.amendment_confirm(amendment=amendment, actor=payers[i]))
    assert sum(isinstance(r, Amendment) for r in results) == 1, results
    assert all(isinstance(r, (Amendment, GrantsError)) for r in results), results
    after = commitment_balances(reference=project.reference)
    assert after["outstanding"] - before["outstanding"] == Decimal("1000.00")
    assert Amendment.objects.get().status == AmendmentStatus.APPLIED
    assert project.agreement.versions.count() == 2
    assert verify().ok
