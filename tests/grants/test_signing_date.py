"""The signing date of an agreement: not in the future (which would pay the first tranche now and
count the report dates from a day that has not come, after which no activity date is valid), and not
before the award was confirmed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from fundpool.ledger.selectors import commitment_balances
from grants import common, transitions
from grants.award import services as award_services
from grants.delivery import services as delivery_services
from grants.lifecycle import Status
from grants.models import Agreement, Application, Tranche

from ..factories import ApplicationFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(roles):
    """A second member of staff: the one who records the agreement, not the one who proposed it."""
    user = UserFactory(username="fund-staff-2")
    user.groups.add(roles["staff"])
    return user


@pytest.fixture
def confirmed(staff, pool_money):
    """An award proposed, its notice over and confirmed through the lifecycle (today)."""
    application = put_in_state(ApplicationFactory(), Status.REVIEWED)
    application = transitions.application_transition(
        application=application, name="propose_award", user=staff, amount="8000", reason="评审通过"
    )
    Application.objects.filter(pk=application.pk).update(notice_ends_at=timezone.now() - timedelta(seconds=1))
    award_services.notices_close()
    return Application.objects.get(pk=application.pk)


def sign(application, user, signed_on):
    return transitions.application_transition(
        application=application, name="sign_agreement", user=user, signed_on=signed_on
    )


def assert_not_signed(application):
    application = Application.objects.get(pk=application.pk)
    assert application.status == Status.AWARDED
    assert not Agreement.objects.filter(application=application).exists()
    assert not Tranche.objects.filter(application=application).exists()
    assert commitment_balances(reference=application.reference)["paid"] == 0
    assert application.final_due_on is None


def test_confirming_the_award_stores_when(confirmed):
    assert confirmed.status == Status.AWARDED
    assert abs(confirmed.awarded_at - timezone.now()) < timedelta(minutes=1)


def test_a_signing_date_in_the_future_is_refused_and_nothing_is_paid(confirmed, colleague):
    next_month = timezone.localdate() + timedelta(days=30)
    with pytest.raises(common.GrantsError, match="未来"):
        sign(confirmed, colleague, next_month)
    assert_not_signed(confirmed)


def test_tomorrow_is_already_the_future(confirmed, colleague):
    with pytest.raises(common.GrantsError, match="未来"):
        sign(confirmed, colleague, timezone.localdate() + timedelta(days=1))
    assert_not_signed(confirmed)


def test_a_signing_date_before_the_award_was_confirmed_is_refused(confirmed, colleague):
    confirmed_on = timezone.localdate() - timedelta(days=10)
    Application.objects.filter(pk=confirmed.pk).update(awarded_at=timezone.now() - timedelta(days=10))
    with pytest.raises(common.GrantsError, match=confirmed_on.isoformat()):
        sign(confirmed, colleague, confirmed_on - timedelta(days=1))
    assert_not_signed(confirmed)


def test_the_day_of_confirmation_and_today_are_both_accepted(confirmed, colleague):
    Application.objects.filter(pk=confirmed.pk).update(awarded_at=timezone.now() - timedelta(days=10))
    signed_on = timezone.localdate() - timedelta(days=10)
    project = sign(Application.objects.get(pk=confirmed.pk), colleague, signed_on)
    assert project.status == Status.IN_DELIVERY and project.agreement.signed_on == signed_on
    assert project.final_due_on == signed_on + timedelta(days=project.call.final_report_days)


def test_after_a_valid_signing_today_an_activity_of_today_is_accepted(confirmed, colleague):
    """The deadlock the future date caused: here, the day of signing is a valid activity date."""

    project = sign(confirmed, colleague, timezone.localdate())
    leader = project.group.memberships.get(role="leader").user
    activity = delivery_services.activity_record(
        application=project,
        user=leader,
        held_on=timezone.localdate(),
        title="启动会",
        description="居民代表讨论活动安排。",
        participants=10,
        beneficiaries_reached=20,
    )
    assert activity.held_on == timezone.localdate()


def test_the_admin_form_refuses_a_future_date_with_a_chinese_message(client, confirmed, colleague):
    client.force_login(colleague)
    url = reverse("grants_admin:application_step", args=[confirmed.pk, "sign_agreement"])
    future = (timezone.localdate() + timedelta(days=45)).isoformat()
    response = client.post(url, {"signed_on": future, "conditions": "按协议使用资金。"}, follow=True)
    html = response.content.decode()
    assert "签约日期" in html and "未来" in html
    assert_not_signed(confirmed)
    # The date box itself says what it accepts.
    page = client.get(reverse("grants_admin:application", args=[confirmed.pk])).content.decode()
    assert f'max="{timezone.localdate().isoformat()}"' in page


def test_an_unreadable_date_is_not_taken_for_today(client, confirmed, colleague):
    client.force_login(colleague)
    url = reverse("grants_admin:application_step", args=[confirmed.pk, "sign_agreement"])
    client.post(url, {"signed_on": "2026-13-45", "conditions": ""})
    assert_not_signed(confirmed)


def test_the_sign_form_explains_the_rule_before_the_service_is_asked(confirmed):
    from grants.award.forms import SignForm

    form = SignForm({"signed_on": (timezone.localdate() + timedelta(days=3)).isoformat()}, application=confirmed)
    assert not form.is_valid()
    assert "未来" in form.errors["signed_on"][0]
