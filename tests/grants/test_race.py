"""Two transitions racing on one application: exactly one wins (PostgreSQL, real threads)."""

import pytest
from django.db import connection

from fundpool.ledger import services as ledger_services
from grants import transitions
from grants.common import GrantsError
from grants.delivery import payments as delivery_payments
from grants.delivery import services as delivery_services
from grants.models import Application

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
        len(steps), lambda i: transitions.application_transition(application=application, name=steps[i], user=leader)
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

    from fundpool.ledger.verify import verify
    from fundpool.models import SourceType
    from grants.lifecycle import Status

    from ..factories import UserFactory
    from .conftest import put_in_state

    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("8000.00"), received_on=timezone.localdate()
    )
    first, second = (put_in_state(ApplicationFactory(), Status.REVIEWED) for _ in range(2))
    deciders = [UserFactory(username=f"decider-{i}") for i in range(2)]
    for user in deciders:
        user.groups.add(roles["staff"])
    pairs = [(first, deciders[0]), (second, deciders[1])]
    results = race(
        2,
        lambda i: transitions.application_transition(
            application=pairs[i][0], name="propose_award", user=pairs[i][1], amount="8000", reason="最后的资金"
        ),
    )
    assert sum(isinstance(r, Application) for r in results) == 1, results
    assert sum(isinstance(r, GrantsError) for r in results) == 1, results
    statuses = sorted(Application.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True))
    assert statuses == ["on_notice", "reviewed"]
    assert verify().ok


def test_two_finance_officers_paying_one_tranche_at_once_pay_it_once(roles):
    from decimal import Decimal

    from django.utils import timezone

    from fundpool.ledger.selectors import commitment_balances
    from fundpool.ledger.verify import verify
    from grants.lifecycle import Status
    from grants.models import Tranche, TrancheStatus

    from ..factories import UserFactory
    from .conftest import put_in_state

    staff = UserFactory(username="desk")
    staff.groups.add(roles["staff"])
    project = transitions.application_transition(
        application=put_in_state(ApplicationFactory(), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=timezone.localdate(),
    )
    tranche = Tranche.objects.get(application=project, number=2)
    Tranche.objects.filter(pk=tranche.pk).update(status=TrancheStatus.DUE)
    officers = [UserFactory(username=f"finance-{i}") for i in range(4)]
    for user in officers:
        user.groups.add(roles["finance"])
    results = race(
        4,
        lambda i: delivery_payments.tranche_pay(tranche=tranche, actor=officers[i], payment_reference=f"BANK-{i}"),
    )
    assert sum(isinstance(r, Tranche) for r in results) == 1, results
    assert all(isinstance(r, (Tranche, GrantsError)) for r in results), results
    assert commitment_balances(reference=project.reference)["paid"] == Decimal("9000.00")
    assert Tranche.objects.get(pk=tranche.pk).status == TrancheStatus.PAID
    assert verify().ok


def test_expenses_racing_past_a_lines_tolerance_cannot_both_slip_through(roles):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from grants.lifecycle import Status
    from grants.models import Expense

    from ..factories import UserFactory
    from .conftest import put_in_state

    staff = UserFactory(username="desk")
    staff.groups.add(roles["staff"])
    project = transitions.application_transition(
        application=put_in_state(ApplicationFactory(), Status.AWARDED),
        name="sign_agreement",
        user=staff,
        signed_on=timezone.localdate(),
    )
    leader = project.group.memberships.get(role="leader").user
    line = project.budget_lines.order_by("position", "pk")[1]  # ¥2,000, up to ¥2,200 without approval

    def record(i):
        return delivery_services.expense_record(
            application=project,
            user=leader,
            budget_line=line,
            amount="1200.00",
            spent_on=timezone.localdate(),
            payee=f"店铺{i}",
            receipt=SimpleUploadedFile("r.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        )

    results = race(2, record)
    assert sum(isinstance(r, Expense) for r in results) == 1, results
    assert Expense.objects.filter(budget_line=line).count() == 1
