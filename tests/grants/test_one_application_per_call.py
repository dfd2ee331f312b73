"""One application per group per call, unless the call allows more: at the start (under a lock,
so two at once cannot both succeed), at submission (for two drafts made before the rule), on the
apply page, and marked for staff at screening."""

import time

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from grants import common, transitions
from grants.applications import services as application_services
from grants.lifecycle import Status
from grants.models import Application, Call

from ..factories import ApplicationFactory, CallFactory, GroupFactory
from .conftest import application_form, put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(db):
    return GroupFactory(name="银发互助队")


@pytest.fixture
def leader(group):
    return group.memberships.get(role="leader").user


@pytest.fixture
def call(db):
    return CallFactory()


def start(call, group, leader):
    return application_services.application_start(call=call, group=group, user=leader)


def test_a_second_start_for_the_same_call_is_refused_and_names_the_first(call, group, leader):
    first = start(call, group, leader)
    with pytest.raises(application_services.AlreadyApplied, match="已") as refused:
        start(call, group, leader)
    assert refused.value.application == first
    assert Application.objects.filter(call=call, group=group).count() == 1


@pytest.mark.parametrize("set_aside", [Status.WITHDRAWN, Status.INELIGIBLE])
def test_withdrawn_and_ineligible_applications_do_not_count(call, group, leader, set_aside):
    first = start(call, group, leader)
    put_in_state(first, set_aside)
    second = start(call, group, leader)
    assert second.pk != first.pk and second.status == Status.DRAFT


def test_a_call_that_allows_more_takes_several_from_one_group(group, leader):
    call = CallFactory(allow_multiple_applications=True)
    start(call, group, leader)
    start(call, group, leader)
    assert Application.objects.filter(call=call, group=group).count() == 2


def test_another_call_is_another_matter(call, group, leader):
    start(call, group, leader)
    assert start(CallFactory(), group, leader).status == Status.DRAFT


def test_of_two_drafts_made_before_the_rule_only_one_can_be_submitted(call, group, leader):
    first = ApplicationFactory(call=call, group=group)
    second = ApplicationFactory(call=call, group=group, problem=first.problem)
    application_services.application_submit(application=first, user=leader)
    with pytest.raises(common.GrantsError, match=first.title):
        application_services.application_submit(application=second, user=leader)
    assert Application.objects.get(pk=second.pk).status == Status.DRAFT
    # Once the first is withdrawn, the second may go.
    transitions.application_transition(application=first, name="withdraw", user=leader)
    assert application_services.application_submit(application=second, user=leader).status == Status.SUBMITTED


def test_the_edit_page_says_why_the_second_draft_cannot_be_submitted(client, call, group, leader):
    first = put_in_state(ApplicationFactory(call=call, group=group), Status.SUBMITTED)
    second = ApplicationFactory(call=call, group=group, problem=first.problem)
    client.force_login(leader)
    url = reverse("grants:application_edit", args=[second.pk])
    html = client.post(url, {**application_form(second), "submit": "1"}).content.decode()
    assert first.title in html and "每个团队只能申报一份" in html
    assert Application.objects.get(pk=second.pk).status == Status.DRAFT


def test_the_apply_page_takes_a_group_that_applied_to_its_application(client, call, group, leader):
    first = start(call, group, leader)
    client.force_login(leader)
    response = client.post(reverse("grants:call_apply", args=[call.slug]), {"group": group.pk})
    assert response.status_code == 302 and response.url == reverse("grants:application_edit", args=[first.pk])
    assert any(first.title in str(m) for m in get_messages(response.wsgi_request))
    assert Application.objects.filter(call=call, group=group).count() == 1


def test_the_apply_page_opens_a_submitted_application_read_only(client, call, group, leader):
    first = put_in_state(start(call, group, leader), Status.IN_REVIEW)
    client.force_login(leader)
    response = client.post(reverse("grants:call_apply", args=[call.slug]), {"group": group.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("grants:application_detail", args=[first.pk])
    assert "已" in response.content.decode() and first.title in response.content.decode()


@pytest.fixture
def twice(group):
    """A call that allows several per group, where this group has two submitted applications and
    another group one."""
    call = CallFactory(allow_multiple_applications=True)
    a = put_in_state(ApplicationFactory(call=call, group=group, title="长者助餐点"), Status.SUBMITTED)
    b = put_in_state(ApplicationFactory(call=call, group=group, title="长者探访"), Status.SUBMITTED)
    c = put_in_state(ApplicationFactory(call=call, title="河道守护"), Status.SUBMITTED)
    return call, a, b, c


def test_screening_marks_applications_whose_group_applied_twice(client, staff, twice):
    call, a, b, c = twice
    client.force_login(staff)
    response = client.get(reverse("grants_admin:call_applications", args=[call.pk]))
    rows = {row.pk: row.same_group_count for row in response.context["applications"]}
    assert rows == {a.pk: 1, b.pk: 1, c.pk: 0}
    html = response.content.decode()
    assert html.count("该团队在本批次还有 1 份申报") == 2


def test_the_application_admin_page_links_the_groups_other_application(client, staff, twice):
    call, a, b, c = twice
    client.force_login(staff)
    html = client.get(reverse("grants_admin:application", args=[a.pk])).content.decode()
    assert reverse("grants_admin:application", args=[b.pk]) in html and "长者探访" in html
    html = client.get(reverse("grants_admin:application", args=[c.pk])).content.decode()
    assert "本批次还有其他申报" not in html


def test_a_withdrawn_sibling_is_not_marked(client, staff, twice):
    call, a, b, c = twice
    put_in_state(b, Status.WITHDRAWN)
    client.force_login(staff)
    response = client.get(reverse("grants_admin:call_applications", args=[call.pk]))
    assert {row.pk: row.same_group_count for row in response.context["applications"]}[a.pk] == 0


def test_staff_can_let_a_call_take_several_applications_per_group(client, staff):
    from .test_views import call_admin_data

    client.force_login(staff)
    client.post(reverse("call:add"), {**call_admin_data([60, 40], [60, 40]), "allow_multiple_applications": "on"})
    assert Call.objects.get().allow_multiple_applications is True
    assert CallFactory().allow_multiple_applications is False  # the default is one per group


def slow_saves(monkeypatch):
    """Widen the gap between looking for the group's application and writing one, as a busy
    server would: without the lock, both racers look, find nothing, and both write."""
    save = Application.save

    def slow(self, *args, **kwargs):
        time.sleep(0.3)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(Application, "save", slow)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent sessions")
@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_make_one_application(monkeypatch):
    from ..fundpool.test_concurrency import race

    call = CallFactory()
    group = GroupFactory()
    leader = group.memberships.get(role="leader").user
    slow_saves(monkeypatch)
    results = race(4, lambda i: application_services.application_start(call=call, group=group, user=leader))
    made = [r for r in results if isinstance(r, Application)]
    assert len(made) == 1, results
    assert all(
        isinstance(r, application_services.AlreadyApplied) and r.application == made[0]
        for r in results
        if r not in made
    )
    assert Application.objects.filter(call=call, group=group).count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent sessions")
@pytest.mark.django_db(transaction=True)
def test_two_drafts_submitted_at_once_cannot_both_go(monkeypatch):
    from ..fundpool.test_concurrency import race

    call = CallFactory()
    group = GroupFactory()
    leader = group.memberships.get(role="leader").user
    first = ApplicationFactory(call=call, group=group)
    drafts = [first, ApplicationFactory(call=call, group=group, problem=first.problem)]
    slow_saves(monkeypatch)
    results = race(2, lambda i: application_services.application_submit(application=drafts[i], user=leader))
    assert sum(isinstance(r, Application) for r in results) == 1, results
    assert sorted(Application.objects.filter(call=call, group=group).values_list("status", flat=True)) == [
        Status.DRAFT,
        Status.SUBMITTED,
    ]
