"""Bulk actions run the single action's step for each application, one by one, logged each; those
in the wrong state are refused with the reason and the rest are done. Search finds applications,
projects and groups across calls by name, number, leader, community and status."""

import pytest
from django.urls import reverse
from django_fsm_log.models import StateLog

from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application, ReviewAssignment
from grants.overview import bulk, search

from ..factories import ApplicationFactory, CallFactory, GroupFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def test_return_many_with_one_reason_or_each_its_own(staff):
    call = CallFactory()
    a, b, c = (put_in_state(ApplicationFactory(call=call), Status.SUBMITTED) for _ in range(3))
    result = bulk.bulk_run(
        call=call,
        action="return",
        application_ids=[a.pk, b.pk, c.pk],
        user=staff,
        reason_for_all="请补充预算说明",
        reasons={b.pk: "请补充成员名单"},
    )
    assert [x.pk for x in result.done] == [a.pk, b.pk, c.pk] and result.failed == []
    for app, reason in ((a, "请补充预算说明"), (b, "请补充成员名单"), (c, "请补充预算说明")):
        assert Application.objects.get(pk=app.pk).status == Status.RETURNED
        log = StateLog.objects.get(object_id=app.pk, transition="return_for_changes")
        assert (log.description, log.by) == (reason, staff)


def test_items_in_the_wrong_state_are_refused_and_the_rest_done(staff):
    call = CallFactory()
    ok = put_in_state(ApplicationFactory(call=call), Status.SUBMITTED)
    wrong = put_in_state(ApplicationFactory(call=call), Status.IN_DELIVERY)
    result = bulk.bulk_run(
        call=call, action="reject", application_ids=[ok.pk, wrong.pk], user=staff, reason_for_all="不在服务范围"
    )
    assert [x.pk for x in result.done] == [ok.pk]
    [(failed, why)] = result.failed
    assert failed.pk == wrong.pk and why
    assert Application.objects.get(pk=wrong.pk).status == Status.IN_DELIVERY
    assert Application.objects.get(pk=ok.pk).status == Status.INELIGIBLE


def test_a_reason_is_needed_for_each_refusal(staff):
    call = CallFactory()
    a = put_in_state(ApplicationFactory(call=call), Status.SUBMITTED)
    result = bulk.bulk_run(call=call, action="return", application_ids=[a.pk], user=staff)
    assert result.done == [] and len(result.failed) == 1
    assert Application.objects.get(pk=a.pk).status == Status.SUBMITTED


def test_assign_reviewers_to_many(staff, reviewer):
    call = CallFactory()
    apps = [put_in_state(ApplicationFactory(call=call), Status.SUBMITTED) for _ in range(2)]
    # The reviewer belongs to the second group: a conflict, refused for that one only.
    apps[1].group.memberships.create(user=reviewer, role="member")
    result = bulk.bulk_run(
        call=call, action="assign", application_ids=[a.pk for a in apps], user=staff, reviewers=[reviewer]
    )
    assert [a.pk for a in result.done] == [apps[0].pk]
    assert [a.pk for a, _why in result.failed] == [apps[1].pk]
    assert ReviewAssignment.objects.filter(reviewer=reviewer).count() == 1


def test_another_calls_application_is_not_touched(staff):
    call, other = CallFactory(), CallFactory()
    stranger = put_in_state(ApplicationFactory(call=other), Status.SUBMITTED)
    with pytest.raises(GrantsError, match="所选申报都不属于本期"):
        bulk.bulk_run(call=call, action="return", application_ids=[stranger.pk], user=staff, reason_for_all="x")
    result = bulk.bulk_run(
        call=call,
        action="return",
        application_ids=[stranger.pk, put_in_state(ApplicationFactory(call=call), Status.SUBMITTED).pk],
        user=staff,
        reason_for_all="x",
    )
    assert len(result.done) == 1
    assert Application.objects.get(pk=stranger.pk).status == Status.SUBMITTED


def test_bulk_pages_confirm_then_report(staff, client):
    call = CallFactory()
    ok = put_in_state(ApplicationFactory(call=call, title="可以退回的"), Status.SUBMITTED)
    wrong = put_in_state(ApplicationFactory(call=call, title="执行中的"), Status.IN_DELIVERY)
    client.force_login(staff)
    url = reverse("grants_admin:call_bulk", args=[call.pk])
    confirm = client.post(url, {"action": "return", "applications": [ok.pk, wrong.pk]})
    assert confirm.status_code == 200 and Application.objects.get(pk=ok.pk).status == Status.SUBMITTED
    assert "可以退回的" in confirm.content.decode() and "执行中的" in confirm.content.decode()
    done = client.post(
        url, {"action": "return", "applications": [ok.pk, wrong.pk], "step": "run", "reason_all": "请补充"}
    ).content.decode()
    assert Application.objects.get(pk=ok.pk).status == Status.RETURNED
    assert 'id="failed"' in done and "执行中的" in done.split('id="failed"')[1]


def test_a_reviewer_cannot_run_bulk_actions(reviewer, client):
    call = CallFactory()
    a = put_in_state(ApplicationFactory(call=call), Status.SUBMITTED)
    client.force_login(reviewer)
    response = client.post(
        reverse("grants_admin:call_bulk", args=[call.pk]),
        {"action": "reject", "applications": [a.pk], "step": "run", "reason_all": "x"},
    )
    assert response.status_code in (302, 403)
    assert Application.objects.get(pk=a.pk).status == Status.SUBMITTED


# --- search ------------------------------------------------------------------------------------


def _find(**params):
    return search.search(query=search.search_query(params))


def test_search_finds_chinese_words_inside_names_across_calls():
    first = put_in_state(ApplicationFactory(title="长者助餐点", call=CallFactory()), Status.SUBMITTED)
    second = put_in_state(ApplicationFactory(title="社区助餐服务", call=CallFactory()), Status.IN_DELIVERY)
    put_in_state(ApplicationFactory(title="儿童读书会"), Status.SUBMITTED)
    found = _find(q="助餐")
    assert {a.pk for a in found.applications} == {first.pk, second.pk}
    assert [a.pk for a in _find(q="助餐", kind="projects").projects] == [second.pk]
    assert [a.pk for a in _find(q="助餐", status=Status.SUBMITTED).applications] == [first.pk]


def test_search_by_number_leader_and_community():
    group = GroupFactory(leader_name="欧阳娜娜", name="银发互助队")
    app = put_in_state(ApplicationFactory(group=group, title="午餐"), Status.SUBMITTED)
    assert [a.pk for a in _find(q=f"#{app.pk}").applications] == [app.pk]
    assert [a.pk for a in _find(q="欧阳").applications] == [app.pk]
    assert [g.pk for g in _find(q="欧阳").groups] == [group.pk]
    assert app.pk in {a.pk for a in _find(q=group.community.name).applications}
    # Every word must match: a second word narrows.
    assert _find(q="欧阳 读书").applications == []


def test_drafts_are_not_found_and_bad_input_is_harmless(client, staff):
    ApplicationFactory(title="还在写的草稿")
    assert _find(q="草稿").applications == []
    client.force_login(staff)
    for q in ("\x00", "%", "_" * 500, "' OR 1=1 --"):
        assert client.get(reverse("grants_admin:search"), {"q": q, "status": "bogus", "kind": "x"}).status_code == 200


def test_search_page_lists_results_for_staff_only(staff, client):
    put_in_state(ApplicationFactory(title="长者助餐点"), Status.SUBMITTED)
    client.force_login(UserFactory())
    assert client.get(reverse("grants_admin:search"), {"q": "助餐"}).status_code in (302, 403)
    client.force_login(staff)
    assert "长者助餐点" in client.get(reverse("grants_admin:search"), {"q": "助餐"}).content.decode()


def test_a_bulk_refusal_without_any_reason_changes_nothing_and_keeps_the_choice(staff, client):
    call = CallFactory()
    a, b = (put_in_state(ApplicationFactory(call=call), Status.SUBMITTED) for _ in range(2))
    client.force_login(staff)
    response = client.post(
        reverse("grants_admin:call_bulk", args=[call.pk]),
        {"action": "return", "applications": [a.pk, b.pk], "step": "run", f"reason_{a.pk}": "请补充预算"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and f"#{b.pk}" in page and "请补充预算" in page
    assert set(Application.objects.filter(pk__in=[a.pk, b.pk]).values_list("status", flat=True)) == {Status.SUBMITTED}


def test_the_wrong_state_is_the_reason_given_not_a_missing_reason(staff):
    call = CallFactory()
    wrong = put_in_state(ApplicationFactory(call=call), Status.IN_DELIVERY)
    result = bulk.bulk_run(call=call, action="return", application_ids=[wrong.pk], user=staff)
    [(_app, why)] = result.failed
    assert "执行中" in why or "不适用" in why


def test_propose_awards_down_the_suggestion_list(staff):
    from decimal import Decimal

    from fundpool.ledger.verify import verify

    from .test_results import pool, scored_call

    pool("100000")
    call = CallFactory(budget=Decimal("25000"), max_amount=Decimal("20000"))
    call, (a, b, c) = scored_call(
        {"r1": [90, 80, 70], "r2": [88, 79, 71]},
        call=call,
        requests=[Decimal("10000"), Decimal("20000"), Decimal("10000")],
    )
    # a and c are suggested (b would go over the budget); choosing all three proposes a and c, in
    # ranking order, and says why b was not.
    result = bulk.bulk_run(call=call, action="propose", application_ids=[c.pk, b.pk, a.pk], user=staff)
    assert [x.pk for x in result.done] == [a.pk, c.pk]
    [(refused, why)] = result.failed
    assert refused.pk == b.pk and "建议" in why
    for app in (a, c):
        app.refresh_from_db()
        assert app.status == Status.ON_NOTICE and app.awarded_amount == Decimal("10000.00")
    assert Application.objects.get(pk=b.pk).status == Status.REVIEWED
    assert verify().ok
