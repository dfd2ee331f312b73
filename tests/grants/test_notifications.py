"""Notifications for every decision that concerns someone: each in the outbox, at once or held for
the person's daily digest, which then carries every held one."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core import notifications
from core.models import NotificationPreference, OutboundEmail, OutboxStatus
from grants.common import GrantsError
from grants.conversation import services as conversation_services
from grants.lifecycle import Status
from grants.models import ReviewAssignment

from ..factories import ApplicationFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(db):
    return put_in_state(ApplicationFactory(), Status.SUBMITTED)


@pytest.fixture
def leader(app):
    return app.group.memberships.get().user


def test_a_person_chooses_the_daily_digest_per_kind(app, leader, staff, client, django_capture_on_commit_callbacks):
    client.force_login(leader)
    page = client.get(reverse("grants:notifications")).content.decode()
    assert "消息" in page and "新的申报" not in page  # a group member sees the group's kinds only
    client.post(reverse("grants:notifications"), {"message": "daily", "payment": "now"})
    assert set(NotificationPreference.objects.filter(user=leader).values_list("kind", flat=True)) == {"message"}
    with django_capture_on_commit_callbacks(execute=True):
        conversation_services.message_send(application=app, user=staff, body="第一条", as_fund=True)
        conversation_services.message_send(application=app, user=staff, body="第二条", as_fund=True)
    held = OutboundEmail.objects.filter(to=leader.email, kind="message")
    assert [r.status for r in held] == [OutboxStatus.HELD, OutboxStatus.HELD]
    assert notifications.send_digests() == "1 digest(s) for 2 notification(s)"
    digest = OutboundEmail.objects.get(kind="digest")
    assert digest.to == leader.email and "第一条" in digest.body and "第二条" in digest.body
    assert set(OutboundEmail.objects.filter(kind="message").values_list("status", "digest")) == {
        (OutboxStatus.DIGESTED, digest.pk)
    }
    # Nothing held: the next digest sends nothing.
    assert notifications.send_digests() == "0 digest(s) for 0 notification(s)"


def test_a_kind_not_ones_own_cannot_be_chosen(leader, client):
    client.force_login(leader)
    client.post(reverse("grants:notifications"), {"submission": "daily"})
    assert not NotificationPreference.objects.filter(user=leader).exists()


def test_the_group_hears_of_payments_evaluations_expenses_and_money_owed(
    staff, finance, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from grants import transitions
    from grants.delivery import payments
    from grants.delivery import services as delivery_services
    from grants.models import Expense, ExpenseStatus, ProjectReport, ReportKind, Tranche, TrancheStatus

    awarded = put_in_state(ApplicationFactory(), Status.AWARDED)
    leader = awarded.group.memberships.get().user
    with django_capture_on_commit_callbacks(execute=True):
        project = transitions.application_transition(
            application=awarded, name="sign_agreement", user=staff, signed_on=timezone.localdate()
        )
    tranche = Tranche.objects.filter(application=project, status=TrancheStatus.PLANNED).order_by("number").first()
    Tranche.objects.filter(pk=tranche.pk).update(status=TrancheStatus.DUE)
    with django_capture_on_commit_callbacks(execute=True):
        payments.tranche_pay(tranche=tranche, actor=finance, payment_reference="BANK-NOTIFY-1")
    expense = (
        delivery_services.expense_record(
            application=project,
            user=leader,
            budget_line=project.budget_lines.first(),
            amount="10.00",
            spent_on=timezone.localdate(),
            payee="文具店",
            receipt=None,
        )
        if False
        else None
    )
    # An expense awaiting staff (as if over the tolerance), then refused.
    line = project.budget_lines.first()
    expense = Expense.objects.create(
        application=project,
        budget_line=line,
        amount=Decimal("10.00"),
        spent_on=timezone.localdate(),
        payee="文具店",
        status=ExpenseStatus.PENDING,
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.expense_decide(expense=expense, actor=staff, approve=False, note="不在预算内")
    report = ProjectReport.objects.create(
        application=project, kind=ReportKind.MIDTERM, outcomes="进展", beneficiaries_reached=3
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.report_evaluate(report=report, actor=staff, score="80", comment="很好", accept=True)
    with django_capture_on_commit_callbacks(execute=True):
        payments.recovery_record(application=project, amount=Decimal("5.00"), reason="结余", actor=staff)
    kinds = set(
        OutboundEmail.objects.filter(ref=project.reference, to__contains=leader.email).values_list("kind", flat=True)
    )
    assert {"payment", "expense_decided", "report_evaluated", "money_owed"} <= kinds
    refused = OutboundEmail.objects.get(kind="expense_decided")
    assert "不在预算内" in refused.body


def test_staff_hear_of_reports_submitted(staff, django_capture_on_commit_callbacks):
    from grants.delivery import services as delivery_services
    from grants.models import ReportKind

    project = put_in_state(ApplicationFactory(), Status.IN_DELIVERY)
    leader = project.group.memberships.get().user
    with django_capture_on_commit_callbacks(execute=True):
        delivery_services.report_submit(
            application=project, user=leader, kind=ReportKind.MIDTERM, outcomes="进展顺利", beneficiaries_reached=5
        )
    [row] = OutboundEmail.objects.filter(kind="report_submitted")
    assert staff.email in row.recipients


def test_reviewers_get_a_due_date_an_email_and_reminders(app, staff, reviewer, django_capture_on_commit_callbacks):
    from grants.conversation import reminders
    from grants.review import services as review_services

    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        [assignment] = review_services.review_assign(application=app, reviewers=[reviewer], actor=staff)
    assert assignment.due_on == today + timedelta(days=app.call.review_days)
    [assigned] = OutboundEmail.objects.filter(kind="review_assigned")
    assert assigned.to == reviewer.email and assignment.due_on.isoformat() in assigned.body
    # Overridden per assignment; never in the past.
    review_services.review_due_change(assignment=assignment, actor=staff, due_on=today + timedelta(days=1))
    with pytest.raises(GrantsError) as refused:
        review_services.review_due_change(assignment=assignment, actor=staff, due_on=today - timedelta(days=1))
    assert "已经过去" in str(refused.value)
    assert ReviewAssignment.objects.get(pk=assignment.pk).due_on == today + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.review_reminders_send(today=today)
        reminders.review_reminders_send(today=today)
        reminders.review_reminders_send(today=today + timedelta(days=2))
    assert list(OutboundEmail.objects.filter(kind="review_reminder").values_list("to", flat=True)) == [
        reviewer.email,
        reviewer.email,
    ]


def test_the_reviewer_load_per_call(app, staff, reviewer):
    from grants.review import selectors as review_selectors

    today = timezone.localdate()
    ReviewAssignment.objects.create(application=app, reviewer=reviewer, due_on=today - timedelta(days=1))
    other = put_in_state(ApplicationFactory(call=app.call), Status.SUBMITTED)
    ReviewAssignment.objects.create(application=other, reviewer=reviewer, due_on=today + timedelta(days=5))
    [load] = review_selectors.reviewer_load(call=app.call)
    assert (load.reviewer, load.assigned, load.handed_in, load.overdue) == (reviewer, 2, 0, 1)
