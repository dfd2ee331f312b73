"""Awards, the public notice and its objections, confirming, and the signed agreement."""

import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fundpool.ledger import services as ledger_services
from fundpool.ledger.engine import Restriction
from fundpool.ledger.selectors import commitment_balances, funding_trace
from fundpool.ledger.verify import verify
from fundpool.models import SourceType
from grants import transitions
from grants.award import agreement as award_agreement
from grants.award import services as award_services
from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application, Objection, Tranche

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def money(amount, **kw):
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal(amount), received_on=timezone.localdate(), **kw
    )


def propose(application, staff, amount="8000", reason="评审通过"):
    return transitions.application_transition(
        application=application, name="propose_award", user=staff, amount=amount, reason=reason
    )


@pytest.fixture
def reviewed(db):
    application = ApplicationFactory()
    return put_in_state(application, Status.REVIEWED)


def test_an_award_above_the_request_is_refused(reviewed, staff):
    money("50000")
    with pytest.raises(GrantsError, match="不能超过"):
        propose(reviewed, staff, amount="10000.01")


def test_an_award_above_what_is_left_of_the_calls_budget_is_refused(staff):
    money("100000")
    call = CallFactory(budget=Decimal("20000"), max_amount=Decimal("20000"))
    first = put_in_state(ApplicationFactory(call=call), Status.REVIEWED)
    second = put_in_state(ApplicationFactory(call=call, requested_amount=Decimal("15000")), Status.REVIEWED)
    propose(first, staff, amount="10000")
    with pytest.raises(GrantsError, match="已资助"):
        propose(second, staff, amount="10000.01")
    assert Application.objects.get(pk=second.pk).status == Status.REVIEWED
    assert commitment_balances(reference=second.reference)["outstanding"] == 0


def test_the_capacity_building_sum_is_committed_apart_from_capacity_money(staff):
    money("50000")
    money("3000", restriction=Restriction(kind="capacity"))
    call = CallFactory(capacity_building_amount=Decimal("1000"))
    application = put_in_state(ApplicationFactory(call=call), Status.REVIEWED)
    propose(application, staff)
    application.refresh_from_db()
    assert application.capacity_amount == Decimal("1000.00")
    assert commitment_balances(reference=application.reference)["outstanding"] == Decimal("8000.00")
    assert commitment_balances(reference=application.capacity_reference)["outstanding"] == Decimal("1000.00")
    trace = funding_trace(reference=application.capacity_reference)
    assert [lot["restriction"] for lot in trace["lots"]] == ["capacity"]


def test_no_capacity_money_means_no_award_and_nothing_committed(staff):
    money("50000")
    application = put_in_state(
        ApplicationFactory(call=CallFactory(capacity_building_amount=Decimal("1000"))), Status.REVIEWED
    )
    with pytest.raises(GrantsError):
        propose(application, staff)
    assert commitment_balances(reference=application.reference)["outstanding"] == 0
    assert Application.objects.get(pk=application.pk).status == Status.REVIEWED


def test_declining_sends_the_reason_to_the_group(reviewed, staff, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        transitions.application_transition(
            application=reviewed, name="decline", user=staff, reason="与重点问题关联不足"
        )
    assert "与重点问题关联不足" in mailoutbox[-1].body


@pytest.fixture
def on_notice(reviewed, staff):
    money("50000")
    return propose(reviewed, staff)


def confirmed_objection(application, staff, **fields):
    """An objection whose phone number staff have checked: it holds up the award."""
    filed = award_services.objection_submit(
        application=application, **{"name": "周", "contact": "13500000000", "text": "x", **fields}
    )
    return award_services.objection_verify(objection=filed.objection, actor=staff, code=filed.code)


def test_the_public_notice_shows_the_award_and_reviewers_but_not_objectors(client, on_notice, roles):
    from grants.models import ReviewAssignment

    named = UserFactory(username="r-named", first_name="明", last_name="李")
    recused = UserFactory(username="r-recused")
    ReviewAssignment.objects.create(application=on_notice, reviewer=named, declared_at=timezone.now())
    ReviewAssignment.objects.create(application=on_notice, reviewer=recused, recused=True, declared_at=timezone.now())
    award_services.objection_submit(
        application=on_notice, name="周晓梅", contact="13500000000", text="经费使用情况不明"
    )
    html = client.get(reverse("grants:notice")).content.decode()
    assert on_notice.title in html and on_notice.group.name in html and "¥8,000.00" in html
    assert "r-recused（回避" in html or "回避: r-recused" in html or ("r-recused" in html and "回避" in html)
    assert "周晓梅" not in html and "13500000000" not in html and "经费使用情况不明" not in html
    assert on_notice.group.leader_phone not in html and "data-countdown" in html


@pytest.mark.parametrize("name, contact, message", [("", "13500000000", "真实姓名"), ("周晓梅", "", "联系方式")])
def test_anonymous_objections_are_refused(on_notice, name, contact, message):
    with pytest.raises(GrantsError, match=message):
        award_services.objection_submit(application=on_notice, name=name, contact=contact, text="有问题")
    assert not Objection.objects.exists()


def test_an_objection_after_the_notice_ends_is_refused(on_notice):
    Application.objects.filter(pk=on_notice.pk).update(notice_ends_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(GrantsError, match="公示期已结束"):
        award_services.objection_submit(application=on_notice, name="周", contact="13500000000", text="x")


def test_an_open_objection_blocks_confirmation_until_dismissed(on_notice, staff):
    objection = confirmed_objection(on_notice, staff)
    Application.objects.filter(pk=on_notice.pk).update(notice_ends_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(GrantsError, match="异议"):
        transitions.application_transition(application=on_notice, name="confirm_award", user=staff)
    out = StringIO()
    call_command("close_notices", stdout=out)
    assert "0 award" in out.getvalue()
    award_services.objection_resolve(objection=objection, actor=staff, uphold=False, reason="经核实，经费已公开")
    call_command("close_notices", stdout=out)
    assert Application.objects.get(pk=on_notice.pk).status == Status.AWARDED
    from django.contrib.contenttypes.models import ContentType
    from django_fsm_log.models import StateLog

    log = StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Application), object_id=on_notice.pk
    ).latest("timestamp")
    assert log.transition == "confirm_award" and log.by is None


def test_close_notices_waits_for_the_end_of_the_period(on_notice):
    call_command("close_notices", stdout=StringIO())
    assert Application.objects.get(pk=on_notice.pk).status == Status.ON_NOTICE


def test_upholding_an_objection_releases_the_money_and_reopens_the_decision(on_notice, staff):
    objection = confirmed_objection(on_notice, staff)
    with pytest.raises(GrantsError, match="理由"):
        award_services.objection_resolve(objection=objection, actor=staff, uphold=True, reason="")
    award_services.objection_resolve(objection=objection, actor=staff, uphold=True, reason="异议属实")
    assert Application.objects.get(pk=on_notice.pk).status == Status.REVIEWED
    assert commitment_balances(reference=on_notice.reference)["outstanding"] == 0
    assert Objection.objects.get(pk=objection.pk).status == "upheld"
    assert verify().ok


def test_only_deciders_resolve_objections(on_notice, staff, finance):
    objection = confirmed_objection(on_notice, staff)
    with pytest.raises(GrantsError, match="无权"):
        award_services.objection_resolve(objection=objection, actor=finance, uphold=False, reason="x")
    assert Objection.objects.get().status == "open"


def test_the_objection_form_on_the_notice_page(client, on_notice):
    response = client.post(
        reverse("grants:notice"), {"application": on_notice.pk, "name": "", "contact": "", "text": "匿名"}
    )
    assert "不接受匿名异议" in response.content.decode()
    client.post(
        reverse("grants:notice"),
        {"application": on_notice.pk, "name": "周晓梅", "contact": "a@b.invalid", "text": "请核实"},
    )
    assert Objection.objects.get().name == "周晓梅"


def test_signing_freezes_the_terms_and_pays_the_first_tranche(on_notice, roles, client):
    Application.objects.filter(pk=on_notice.pk).update(notice_ends_at=timezone.now() - timedelta(seconds=1))
    award_services.notices_close()
    colleague = UserFactory(username="fund-staff-2")  # not the one who proposed the award (four eyes)
    colleague.groups.add(roles["staff"])
    application = transitions.application_transition(
        application=on_notice,
        name="sign_agreement",
        user=colleague,
        conditions="按季度报告",
        signed_on=timezone.localdate(),
    )
    agreement = application.agreement
    assert application.status == Status.IN_DELIVERY
    assert agreement.terms["amount"] == "8000.00" and agreement.terms["conditions"] == "按季度报告"
    assert agreement.content_hash == award_agreement.terms_hash(agreement.terms) and len(agreement.content_hash) == 64
    tranches = list(Tranche.objects.filter(application=application).order_by("number"))
    assert [(t.amount, t.status) for t in tranches] == [(Decimal("4800.00"), "paid"), (Decimal("3200.00"), "planned")]
    assert commitment_balances(reference=application.reference)["paid"] == Decimal("4800.00")
    leader = application.group.memberships.get(role="leader").user
    client.force_login(leader)
    page = client.get(reverse("grants:agreement", args=[application.pk])).content.decode()
    assert agreement.number in page and agreement.content_hash in page and "按季度报告" in page
    client.force_login(UserFactory())
    assert client.get(reverse("grants:agreement", args=[application.pk])).status_code == 404
    assert verify().ok


def test_a_proposal_against_the_suggestion_needs_a_reason(reviewed, staff):
    money("50000")
    with pytest.raises(GrantsError, match="理由"):
        transitions.application_transition(application=reviewed, name="propose_award", user=staff, amount="8000")


def test_a_refused_objection_shows_its_message_in_an_open_form(client, on_notice):
    html = client.post(
        reverse("grants:notice"), {"application": on_notice.pk, "name": "", "contact": "", "text": "匿名"}
    ).content.decode()
    assert re.search(r"<details[^>]* open>", html) and "不接受匿名异议" in html
    assert f'id="id_{on_notice.pk}_name"' in html


def test_staff_see_an_open_objection_as_awaiting_decision(client, on_notice, staff, finance):
    confirmed_objection(on_notice, staff, name="周晓梅")
    client.force_login(staff)
    html = client.get(reverse("grants_admin:application", args=[on_notice.pk])).content.decode()
    assert "待处理" in html and "周晓梅" in html
    client.force_login(finance)
    assert "周晓梅" not in client.get(reverse("grants_admin:application", args=[on_notice.pk])).content.decode()


# --- the notice period: a minimum, and one clock ------------------------------------------------


@pytest.mark.parametrize("days", [0, 4])
def test_a_call_with_a_notice_shorter_than_the_minimum_is_refused(days):
    from django.core.exceptions import ValidationError

    call = CallFactory.build(notice_days=days)
    with pytest.raises(ValidationError) as refused:
        call.full_clean()
    assert refused.value.message_dict["notice_days"] == ["公示期至少 5 天。"]


def test_the_minimum_notice_is_a_setting(settings):
    from django.core.exceptions import ValidationError

    settings.NOTICE_MIN_DAYS = 10
    with pytest.raises(ValidationError, match="公示期至少 10 天"):
        CallFactory.build(notice_days=7).full_clean()
    CallFactory.build(notice_days=10).full_clean()


def test_closing_notices_as_of_a_moment_past_the_end_confirms_before_the_real_clock_gets_there(on_notice):
    end = Application.objects.get(pk=on_notice.pk).notice_ends_at
    assert end > timezone.now()  # the real clock has not got there
    assert award_services.notices_close(now=end - timedelta(seconds=1)) == []
    assert Application.objects.get(pk=on_notice.pk).status == Status.ON_NOTICE
    confirmed = award_services.notices_close(now=end + timedelta(seconds=1))
    assert [a.pk for a in confirmed] == [on_notice.pk]
    assert Application.objects.get(pk=on_notice.pk).status == Status.AWARDED


def test_closing_notices_as_of_a_moment_before_the_end_waits_though_the_real_clock_is_past_it(on_notice):
    end = timezone.now() - timedelta(minutes=5)
    Application.objects.filter(pk=on_notice.pk).update(notice_ends_at=end)
    assert award_services.notices_close(now=end - timedelta(seconds=1)) == []
    assert Application.objects.get(pk=on_notice.pk).status == Status.ON_NOTICE


def test_a_call_saved_with_a_short_notice_before_the_minimum_still_gets_the_minimum(reviewed, staff, settings):
    """A call whose notice period was saved before the minimum was enforced (written here past
    the model's check, as an old row would be) still puts the award on notice for the minimum."""
    settings.NOTICE_MIN_DAYS = 5
    type(reviewed.call).objects.filter(pk=reviewed.call_id).update(notice_days=0)
    money("50000")
    on_notice = propose(reviewed, staff)
    assert on_notice.notice_ends_at - on_notice.notice_starts_at == timedelta(days=5)
    assert award_services.notices_close(now=timezone.now() + timedelta(days=4)) == []


def test_a_typed_reason_cannot_pass_for_a_system_written_one(client, staff):
    """Reasons the system writes are stored as a marked code (grants/system_reasons.py); a person
    who types that marker gets their own words shown, not a message the system never wrote."""
    from core.system_reasons import PREFIX, encode

    forged = encode("grants.notice_ended")
    assert forged.startswith(PREFIX)
    application = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    transitions.application_transition(application=application, name="return_for_changes", user=staff, reason=forged)
    leader = application.group.memberships.get(role="leader").user
    client.force_login(leader)
    page = client.get(reverse("grants:application_detail", args=[application.pk])).content.decode()
    assert "公示期满，无未处理异议" not in page and "grants.notice_ended" in page
