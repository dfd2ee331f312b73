"""Who reads the reason typed for a step: the lifecycle table says, per step, whether it is for the
group or internal; an internal note never reaches the group's pages or emails, and every reason box
says who will read it."""

import pytest
from django.core import mail
from django.urls import reverse

from grants import common, lifecycle, transitions
from grants.award import services as award_services
from grants.lifecycle import Audience, Status
from grants.models import Application, Objection

from .conftest import put_in_state

pytestmark = pytest.mark.django_db

SECRET = "内部：该团队负责人与评审会主任是亲戚，请勿外传"
GROUP_NOTE = "请补充预算明细，并说明活动场地"


def test_every_step_declares_who_reads_its_reason():
    assert {t.reason_audience for t in lifecycle.STEPS.values()} <= {Audience.GROUP, Audience.INTERNAL}
    audience = {name: t.reason_audience for name, t in lifecycle.STEPS.items()}
    assert audience["propose_award"] == Audience.INTERNAL
    for name in ("return_for_changes", "reject_eligibility", "decline", "return_report", "terminate"):
        assert audience[name] == Audience.GROUP, name


def applicant_page(client, application):
    leader = application.group.memberships.get(role="leader").user
    client.force_login(leader)
    return client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()


def staff_page(client, application, staff):
    client.force_login(staff)
    return client.get(reverse("grants_admin:application", args=[application.pk])).content.decode()


def mail_text():
    return "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox)


def take(application, name, user, reason, **params):
    return transitions.application_transition(application=application, name=name, user=user, reason=reason, **params)


@pytest.fixture
def in_review(application, with_reviewers):
    return put_in_state(application, Status.IN_REVIEW)


def test_the_reason_for_proposing_an_award_stays_with_staff(
    client, application, staff, pool_money, django_capture_on_commit_callbacks
):
    reviewed = put_in_state(application, Status.REVIEWED)
    with django_capture_on_commit_callbacks(execute=True):
        take(reviewed, "propose_award", staff, SECRET, amount="8000")
    assert len(mail.outbox) == 1, "the group is told its award is proposed"
    assert "公示" in mail_text() and SECRET not in mail_text()
    assert SECRET not in applicant_page(client, reviewed)
    assert SECRET in staff_page(client, reviewed, staff)


def test_the_reason_for_starting_the_review_stays_with_staff(
    client, application, staff, with_reviewers, django_capture_on_commit_callbacks
):
    submitted = put_in_state(application, Status.SUBMITTED)
    with django_capture_on_commit_callbacks(execute=True):
        take(submitted, "start_review", staff, SECRET)
    assert len(mail.outbox) == 1 and SECRET not in mail_text()
    assert SECRET not in applicant_page(client, submitted)
    assert SECRET in staff_page(client, submitted, staff)


def test_the_reason_for_closing_the_review_stays_with_staff(
    client, in_review, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        take(in_review, "close_review", staff, SECRET)
    assert SECRET not in mail_text()
    assert SECRET not in applicant_page(client, in_review)
    assert SECRET in staff_page(client, in_review, staff)


def test_the_reason_for_upholding_an_objection_stays_with_staff(
    client, application, staff, pool_money, django_capture_on_commit_callbacks
):
    on_notice = put_in_state(application, Status.ON_NOTICE)
    # The notice set up by put_in_state has just ended: the objection is filed as if in time.
    # Its contact confirmed: only a confirmed objection is open, and decided.
    objection = Objection.objects.create(
        application=on_notice, name="周晓梅", contact="13500000000", text="请核实", status="open"
    )
    with django_capture_on_commit_callbacks(execute=True):
        award_services.objection_resolve(objection=objection, actor=staff, uphold=True, reason=SECRET)
    assert Application.objects.get(pk=on_notice.pk).status == Status.REVIEWED
    assert len(mail.outbox) == 1 and SECRET not in mail_text()
    assert SECRET not in applicant_page(client, on_notice)
    assert SECRET in staff_page(client, on_notice, staff)


@pytest.mark.parametrize(
    "state, name",
    [
        (Status.SUBMITTED, "return_for_changes"),
        (Status.SUBMITTED, "reject_eligibility"),
        (Status.REVIEWED, "decline"),
        (Status.AWARDED, "terminate"),
    ],
)
def test_reasons_for_the_group_reach_its_timeline_and_email(
    client, application, staff, pool_money, state, name, django_capture_on_commit_callbacks
):
    application = put_in_state(application, state)
    with django_capture_on_commit_callbacks(execute=True):
        take(application, name, staff, GROUP_NOTE)
    assert GROUP_NOTE in mail_text()
    assert GROUP_NOTE in applicant_page(client, application)


def _fieldset(html, step):
    start = html.index(f"/step/{step}/")
    return html[start : html.index("</fieldset>", start)]


def test_each_reason_box_on_the_admin_page_says_who_will_read_it(client, application, staff, pool_money):
    reviewed = put_in_state(application, Status.REVIEWED)
    html = staff_page(client, reviewed, staff)
    assert "内部备注" in _fieldset(html, "propose_award") and "申报团队看不到" in _fieldset(html, "propose_award")
    assert "申报团队会看到" in _fieldset(html, "decline")
    assert "内部备注" not in _fieldset(html, "decline")


def test_the_withdraw_box_on_the_groups_page_says_staff_will_read_it(client, application):
    assert "基金工作人员会看到" in applicant_page(client, application)


def test_a_missing_internal_reason_is_not_said_to_reach_the_group(application, staff, pool_money):
    on_notice = put_in_state(application, Status.ON_NOTICE)
    Objection.objects.create(application=on_notice, name="周晓梅", contact="13500000000", text="请核实")
    with pytest.raises(common.GrantsError) as refused:
        take(on_notice, "uphold_objection", staff, "")
    assert "申报团队会看到" not in str(refused.value) and "工作人员" in str(refused.value)


def test_docs_list_who_reads_each_steps_reason_as_the_code_says(settings):
    from pathlib import Path

    from grants.lifecycle import diagram

    text = (Path(settings.BASE_DIR) / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    assert diagram.to_steps_table() in text, "docs/lifecycle.md is stale: run `python manage.py lifecycle_diagram`"
    assert "| `propose_award` | 拟立项（进入公示） | `is_decider` | optional | fund staff only" in text
