"""Eligibility at screening: each computed item's result, the items staff tick by hand with a
note (the earlier tick kept), and possible duplicates."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.applications import eligibility
from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application, CallCheck, EligibilityTick, Recovery

from ..factories import ApplicationFactory, CallFactory, CommunityFactory, GroupFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def results(application):
    return {c.key: c.ok for c in eligibility.checklist(application)}


def test_a_clean_application_meets_every_computed_item():
    app = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    assert results(app) == {
        "filed": True,
        "community": True,
        "one_per_group": True,
        "no_overdue_report": True,
        "no_money_owed": True,
        "members": True,
    }


def test_each_computed_item_fails_for_its_reason():
    group = GroupFactory(filing_status="pending", filing_number="", filed_on=None)
    call = CallFactory()
    call.communities.add(CommunityFactory())  # the group's community is not served
    app = put_in_state(ApplicationFactory(call=call, group=group), Status.SUBMITTED)
    put_in_state(ApplicationFactory(call=call, group=group, title="另一份"), Status.SUBMITTED)
    earlier = put_in_state(ApplicationFactory(group=group, title="去年的项目"), Status.IN_DELIVERY)
    Application.objects.filter(pk=earlier.pk).update(final_due_on=timezone.localdate() - timedelta(days=3))
    Recovery.objects.create(application=earlier, amount_owed=Decimal("200.00"))
    got = results(app)
    assert got == {
        "filed": False,
        "community": False,
        "one_per_group": False,
        "no_overdue_report": False,
        "no_money_owed": False,
        "members": True,
    }
    detail = {c.key: c.detail for c in eligibility.checklist(app)}
    assert "去年的项目" in detail["no_overdue_report"] and "去年的项目" in detail["no_money_owed"]


def test_staff_tick_hand_items_with_a_note_and_the_earlier_tick_stays(staff):
    app = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    item = CallCheck.objects.create(call=app.call, label="社区居委会盖章的推荐信")
    assert results(app)[f"item-{item.pk}"] is None
    with pytest.raises(GrantsError):
        eligibility.tick(application=app, item=item, actor=staff, ok=False, note="")
    eligibility.tick(application=app, item=item, actor=staff, ok=False, note="缺盖章")
    eligibility.tick(application=app, item=item, actor=staff, ok=True, note="已补交")
    assert results(app)[f"item-{item.pk}"] is True
    assert list(EligibilityTick.objects.order_by("pk").values_list("ok", "note")) == [
        (False, "缺盖章"),
        (True, "已补交"),
    ]


def test_possible_duplicates_are_flagged(client, staff):
    call = CallFactory()
    first = put_in_state(ApplicationFactory(call=call, title="长者助餐服务点"), Status.SUBMITTED)
    similar = put_in_state(ApplicationFactory(call=call, title="长者助餐服务站"), Status.SUBMITTED)
    same_phone = GroupFactory(leader_phone=first.group.leader_phone, leader_name="另一人")
    other = put_in_state(ApplicationFactory(call=call, group=same_phone, title="儿童读书会"), Status.SUBMITTED)
    found = {d.application.pk: d.why for d in eligibility.possible_duplicates(first)}
    assert "相似" in found[similar.pk] or "similar" in found[similar.pk]
    assert other.pk in found
    client.force_login(staff)
    page = client.get(reverse("grants_admin:application", args=[first.pk])).content.decode()
    assert 'id="eligibility"' in page and "长者助餐服务站" in page


def test_the_tick_form_refuses_another_calls_item(staff, client):
    app = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    foreign = CallCheck.objects.create(call=CallFactory(), label="别的")
    client.force_login(staff)
    client.post(reverse("grants_admin:eligibility_tick", args=[app.pk]), {"item": foreign.pk, "ok": "yes"})
    assert not EligibilityTick.objects.exists()
