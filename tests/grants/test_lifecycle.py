"""Every (state, transition) pair: allowed ones succeed and are logged; forbidden ones are refused
with a clear message and change nothing."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import transaction
from django_fsm import ConcurrentTransition
from django_fsm_log.models import StateLog

from fundpool.ledger.selectors import commitment_balances
from grants import lifecycle, transitions
from grants.applications import services as application_services
from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application

from .conftest import put_in_state

pytestmark = pytest.mark.django_db

# DESIGN.md §6, written out independently of grants/lifecycle.py.
ALLOWED = {
    "submit": {Status.DRAFT: Status.SUBMITTED, Status.RETURNED: Status.SUBMITTED},
    "return_for_changes": {Status.SUBMITTED: Status.RETURNED, Status.IN_REVIEW: Status.RETURNED},
    "reject_eligibility": {Status.SUBMITTED: Status.INELIGIBLE},
    "start_review": {Status.SUBMITTED: Status.IN_REVIEW},
    "close_review": {Status.IN_REVIEW: Status.REVIEWED},
    "propose_award": {Status.REVIEWED: Status.ON_NOTICE},
    "decline": {Status.REVIEWED: Status.DECLINED},
    "uphold_objection": {Status.ON_NOTICE: Status.REVIEWED},
    "confirm_award": {Status.ON_NOTICE: Status.AWARDED},
    "sign_agreement": {Status.AWARDED: Status.IN_DELIVERY},
    "submit_final_report": {Status.IN_DELIVERY: Status.REPORTING},
    "return_report": {Status.REPORTING: Status.IN_DELIVERY},
    "accept_report": {Status.REPORTING: Status.COMPLETED},
    "terminate": {s: Status.TERMINATED for s in (Status.AWARDED, Status.IN_DELIVERY, Status.REPORTING)},
    "withdraw": {
        s: Status.WITHDRAWN
        for s in (
            Status.DRAFT,
            Status.SUBMITTED,
            Status.RETURNED,
            Status.IN_REVIEW,
            Status.REVIEWED,
            Status.ON_NOTICE,
            Status.AWARDED,
        )
    },
}
BY_APPLICANT = {"submit", "submit_final_report", "withdraw"}
ALL_STATES = [s.value for s in lifecycle.STATES]


def test_the_table_covers_all_fourteen_states_and_every_transition():
    assert len(ALL_STATES) == 14
    assert set(ALLOWED) == set(lifecycle.STEPS)


def logs_for(application):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=application.pk
    )


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("name", list(ALLOWED))
def test_each_transition_from_each_state(state, name, application, leader, staff, with_reviewers, pool_money):
    application = put_in_state(application, state)
    actor = leader if name in BY_APPLICANT else staff
    before_logs = logs_for(application).count()
    params = {"amount": "8000.00"} if name == "propose_award" else {}
    if state in ALLOWED[name]:
        result = transitions.application_transition(
            application=application, name=name, user=actor, reason="理由：测试", **params
        )
        assert result.status == ALLOWED[name][state]
        assert Application.objects.get(pk=application.pk).status == ALLOWED[name][state]
        log = logs_for(application).latest("timestamp")
        assert logs_for(application).count() == before_logs + 1
        assert (log.source_state, log.state, log.transition, log.by, log.description) == (
            state,
            ALLOWED[name][state],
            name,
            actor,
            "理由：测试",
        )
    else:
        with pytest.raises(GrantsError) as exc:
            transitions.application_transition(application=application, name=name, user=actor, reason="理由", **params)
        assert "不能" in str(exc.value) or "不可" in str(exc.value)
        assert Application.objects.get(pk=application.pk).status == state
        assert logs_for(application).count() == before_logs


@pytest.mark.parametrize("name", [n for n, info in lifecycle.STEPS.items() if info.reason_required])
def test_steps_that_need_a_reason_refuse_without_one(name, application, staff, pool_money):
    state = next(iter(ALLOWED[name]))
    application = put_in_state(application, state)
    with pytest.raises(GrantsError, match="原因"):
        transitions.application_transition(application=application, name=name, user=staff, reason="  ")
    assert Application.objects.get(pk=application.pk).status == state


def test_applicants_cannot_take_staff_steps(application, leader):
    application = put_in_state(application, Status.SUBMITTED)
    with pytest.raises(GrantsError, match="无权"):
        transitions.application_transition(application=application, name="reject_eligibility", user=leader, reason="x")
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED


def test_staff_cannot_submit_for_the_group(application, staff):
    with pytest.raises(GrantsError, match="无权"):
        transitions.application_transition(application=application, name="submit", user=staff)


def test_finance_cannot_decide_awards(application, finance, pool_money):
    application = put_in_state(application, Status.REVIEWED)
    with pytest.raises(GrantsError):
        transitions.application_transition(
            application=application, name="propose_award", user=finance, amount="8000", reason="特批"
        )
    assert Application.objects.get(pk=application.pk).status == Status.REVIEWED


def test_review_starts_only_with_enough_reviewers(application, staff):
    application = put_in_state(application, Status.SUBMITTED)
    with pytest.raises(GrantsError, match="评审"):
        transitions.application_transition(application=application, name="start_review", user=staff)
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED


def test_award_is_confirmed_only_after_the_notice_period(application, staff, pool_money):
    application = put_in_state(application, Status.REVIEWED)
    transitions.application_transition(
        application=application, name="propose_award", user=staff, amount="8000", reason="评审未完成，特批"
    )
    application.refresh_from_db()
    assert application.notice_ends_at is not None
    with pytest.raises(GrantsError, match="公示"):
        transitions.application_transition(application=application, name="confirm_award", user=staff)
    assert Application.objects.get(pk=application.pk).status == Status.ON_NOTICE


def test_proposing_an_award_commits_the_money_and_withdrawing_releases_it(application, staff, leader, pool_money):
    application = put_in_state(application, Status.REVIEWED)
    transitions.application_transition(
        application=application, name="propose_award", user=staff, amount="8000", reason="评审未完成，特批"
    )
    assert commitment_balances(reference=application.reference)["outstanding"] == Decimal("8000.00")
    assert Application.objects.get(pk=application.pk).awarded_amount == Decimal("8000.00")
    transitions.application_transition(application=application, name="withdraw", user=leader)
    assert commitment_balances(reference=application.reference)["outstanding"] == 0


def test_an_award_the_pool_cannot_cover_is_refused_and_changes_nothing(application, staff):
    application = put_in_state(application, Status.REVIEWED)
    with pytest.raises(GrantsError, match="基金池"):
        transitions.application_transition(
            application=application, name="propose_award", user=staff, amount="8000", reason="评审未完成，特批"
        )
    application.refresh_from_db()
    assert application.status == Status.REVIEWED and application.awarded_amount is None


@pytest.mark.parametrize("amount, message", [("10000.01", "不能超过"), ("1999.99", "之间"), ("abc", "不是数字")])
def test_award_amount_rules(application, staff, pool_money, amount, message):
    application = put_in_state(application, Status.REVIEWED)
    with pytest.raises(GrantsError, match=message):
        transitions.application_transition(
            application=application, name="propose_award", user=staff, amount=amount, reason="特批"
        )
    assert Application.objects.get(pk=application.pk).status == Status.REVIEWED


def test_the_group_is_emailed_on_changes_it_can_see(
    application, leader, staff, with_reviewers, django_capture_on_commit_callbacks
):
    def to_group():
        return [m for m in mail.outbox if leader.email in m.to]

    with django_capture_on_commit_callbacks(execute=True):
        application_services.application_submit(application=application, user=leader)
    assert len(to_group()) == 1
    assert "已提交" in to_group()[0].subject or "筛查" in to_group()[0].subject
    # Staff hear of the new submission (the step's tell_staff effect), in an email of their own.
    [to_staff] = [m for m in mail.outbox if staff.email in m.to]
    assert application.title in to_staff.subject and leader.email not in to_staff.to
    with django_capture_on_commit_callbacks(execute=True):
        transitions.application_transition(application=application, name="start_review", user=staff)
    with django_capture_on_commit_callbacks(execute=True):
        transitions.application_transition(application=application, name="close_review", user=staff)
    # in_review → reviewed looks the same from outside ("being reviewed"): one email, not two.
    assert len(to_group()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        transitions.application_transition(application=application, name="decline", user=staff, reason="预算不合理")
    assert len(to_group()) == 3 and "预算不合理" in to_group()[2].body


def test_submitting_twice_is_refused_clearly(application, leader):
    application_services.application_submit(application=application, user=leader)
    with pytest.raises(GrantsError, match="已提交"):
        application_services.application_submit(application=application, user=leader)
    assert logs_for(application).count() == 1


def test_a_stale_copy_cannot_overwrite_a_newer_transition(application, leader, staff):
    stale = Application.objects.get(pk=application.pk)
    application_services.application_submit(application=application, user=leader)
    # Another request, holding the draft it loaded earlier, tries to withdraw it as a draft.
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.withdraw()
        stale.save()
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED


def test_the_lifecycle_diagram_in_docs_is_drawn_from_the_current_code(settings):
    from pathlib import Path

    from grants.lifecycle import diagram

    docs = Path(settings.BASE_DIR) / "docs"
    assert (docs / "lifecycle.dot").read_text(
        encoding="utf-8"
    ) == diagram.to_dot(), "docs/lifecycle.dot is stale: run `python manage.py lifecycle_diagram`"
    assert diagram.to_mermaid() in (docs / "lifecycle.md").read_text(encoding="utf-8")
    for name, targets in ALLOWED.items():
        for source, target in targets.items():
            assert f"  {source} -> {target} [label=" in diagram.to_dot(), (name, source)


# --- the table is the one source ---------------------------------------------------------------


def test_every_effect_the_table_names_has_one_implementation_and_none_is_unused():
    from grants.transitions import EFFECTS

    named = {effect for step in lifecycle.STEPS.values() for effect in step.effects}
    assert named == set(EFFECTS), "an effect of the table without an implementation, or one no step uses"


def test_the_state_machine_is_the_table():
    """Each transition of the model's state machine has the table's sources, target, conditions and
    permission, and there is no transition the table does not declare."""
    field = Application._meta.get_field("status")
    machine = {}
    for t in field.get_all_transitions(Application):
        machine.setdefault(t.name, set()).add((t.source, t.target, tuple(t.conditions), t.permission))
    table = {
        name: {(source, step.target, step.conditions, step.permission) for source in step.source}
        for name, step in lifecycle.STEPS.items()
    }
    assert machine == table


def test_the_runner_takes_no_step_by_its_name():
    """Effects and checks come from the table: the runner never asks which step it is running."""
    from pathlib import Path

    source = Path(__file__).resolve().parents[2].joinpath("grants", "transitions.py").read_text(encoding="utf-8")
    assert 'name == "' not in source and "name in (" not in source and "name in {" not in source
