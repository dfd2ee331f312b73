"""The work queue (待办): each line counts exactly its items, gives the oldest one's age, lists them
oldest first, shows only what the person's role acts on, and costs the same number of queries
however many grants there are."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.conversation import services as conversation_services
from grants.lifecycle import Status
from grants.models import Application, InfoRequestItem, ReviewAssignment, Thread
from grants.overview import queue

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def lines(user, **kw):
    return {line.key: line for line in queue.queue_for(user=user, **kw)}


def test_counts_match_the_items_and_the_oldest_age(staff):
    now = timezone.now()
    call = CallFactory()
    apps = [put_in_state(ApplicationFactory(call=call), Status.SUBMITTED) for _ in range(3)]
    for days, app in zip((9, 4, 1), apps, strict=True):
        Application.objects.filter(pk=app.pk).update(submitted_at=now - timedelta(days=days))
    put_in_state(ApplicationFactory(call=call), Status.IN_REVIEW)  # not to screen
    line = lines(staff, with_items=True)["to_screen"]
    assert line.count == 3 == len(line.items)
    assert line.age_days == 9
    assert [text for text, *_ in line.items] == [a.title for a in apps]  # oldest first
    assert line.items[0][1] == reverse("grants_admin:application", args=[apps[0].pk])


def test_reviews_overdue_and_messages_unanswered_and_requests_overdue(staff, reviewer):
    today = timezone.localdate()
    in_review = put_in_state(ApplicationFactory(), Status.IN_REVIEW)
    ReviewAssignment.objects.create(
        application=in_review, reviewer=reviewer, declared_at=timezone.now(), due_on=today - timedelta(days=3)
    )
    ReviewAssignment.objects.create(
        application=in_review, reviewer=UserFactory(), declared_at=timezone.now(), due_on=today + timedelta(days=3)
    )
    submitted = put_in_state(ApplicationFactory(), Status.SUBMITTED)
    leader = submitted.group.memberships.get().user
    conversation_services.message_send(application=submitted, user=leader, body="请问", as_fund=False)
    request = conversation_services.info_request_create(
        application=submitted, user=staff, items=[conversation_services.ItemInput("名单", today)]
    )
    InfoRequestItem.objects.filter(request=request).update(due_on=today - timedelta(days=2))
    got = lines(staff, with_items=True)
    assert got["reviews_overdue"].count == 1 and got["reviews_overdue"].age_days == 3
    # Staff answered by asking for information: the message is answered.
    assert got["messages_unanswered"].count == 0
    assert got["requests_overdue"].count == 1 and got["requests_overdue"].age_days == 2
    conversation_services.message_send(application=submitted, user=leader, body="还有一个问题", as_fund=False)
    assert lines(staff)["messages_unanswered"].count == 1
    assert Thread.objects.get(application=submitted).awaiting_staff_since is not None


def test_each_role_sees_its_own_lines(staff, finance, reviewer):
    assert "to_screen" in lines(staff) and "tranches_due" not in lines(staff)
    assert set(lines(finance)) >= {"tranches_due"} and "to_screen" not in lines(finance)
    assert lines(reviewer) == {}


def test_the_queue_is_the_admin_home_and_a_page(staff, client):
    put_in_state(ApplicationFactory(title="待筛查的项目"), Status.SUBMITTED)
    client.force_login(staff)
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert 'id="work-queue"' in home and "待筛查" in home
    page = client.get(reverse("grants_admin:queue") + "?line=to_screen").content.decode()
    assert "待筛查的项目" in page


def _queries(user) -> int:
    with CaptureQueriesContext(connection) as ctx:
        queue.queue_for(user=user, with_items=True)
    return len(ctx.captured_queries)


def test_queries_stay_flat_in_the_number_of_grants(staff):
    call = CallFactory()
    for _ in range(3):
        put_in_state(ApplicationFactory(call=call), Status.SUBMITTED)
    _queries(staff)  # the person's permissions are read once, then cached on them
    few = _queries(staff)
    for _ in range(12):
        put_in_state(ApplicationFactory(call=call), Status.SUBMITTED)
    assert _queries(staff) == few


def _grow(n: int, call, community, staff) -> None:
    """`n` submitted applications, each from its own group, with a message waiting for staff and
    an overdue requested item (bulk-written: the queue's cost is what is measured)."""
    from grants.models import InfoRequest, InfoRequestItem, ResidentGroup

    start = ResidentGroup.objects.count()
    groups = ResidentGroup.objects.bulk_create(
        [
            ResidentGroup(
                name=f"批量团队{start + i}",
                name_key=f"批量团队{start + i}",
                community=community,
                leader_name="王芳",
                leader_phone="13800000000",
                member_count=12,
            )
            for i in range(n)
        ]
    )
    now = timezone.now()
    apps = Application.objects.bulk_create(
        [
            Application(call=call, group=g, title=f"批量申报{g.pk}", status=Status.SUBMITTED, submitted_at=now)
            for g in groups
        ]
    )
    Thread.objects.bulk_create([Thread(application=a, last_message_at=now, awaiting_staff_since=now) for a in apps])
    requests = InfoRequest.objects.bulk_create([InfoRequest(application=a, created_by=staff) for a in apps])
    InfoRequestItem.objects.bulk_create(
        [InfoRequestItem(request=r, label="名单", due_on=timezone.localdate() - timedelta(days=1)) for r in requests]
    )


def test_queue_and_search_queries_are_the_same_at_10_and_1000_grants(staff):
    from grants.overview import search

    call = CallFactory(allow_multiple_applications=True)
    community = ApplicationFactory(call=call).group.community

    def cost():
        counts = []
        for run in (
            lambda: queue.queue_for(user=staff, with_items=True),
            lambda: search.search(query=search.SearchQuery(q="批量")),
        ):
            with CaptureQueriesContext(connection) as ctx:
                run()
            counts.append(len(ctx.captured_queries))
        return counts

    _grow(10, call, community, staff)
    cost()  # permissions cached on the person
    at_10 = cost()
    _grow(990, call, community, staff)
    assert Application.objects.filter(status=Status.SUBMITTED).count() == 1000
    assert cost() == at_10
    line = lines(staff)["messages_unanswered"]
    assert line.count == 1000


def test_people_outside_the_fund_cannot_open_the_queue(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("grants_admin:queue")).status_code in (302, 403)
    group_member = ApplicationFactory().group.memberships.get().user
    client.force_login(group_member)
    assert client.get(reverse("grants_admin:queue")).status_code in (302, 403)


def test_a_reviewers_question_waits_in_the_queue_until_passed_on(staff, reviewer):
    app = put_in_state(ApplicationFactory(), Status.IN_REVIEW)
    assignment = ReviewAssignment.objects.create(application=app, reviewer=reviewer, declared_at=timezone.now())
    question = conversation_services.question_ask(assignment=assignment, user=reviewer, body="场地在哪里？")
    assert lines(staff)["questions_to_pass_on"].count == 1
    conversation_services.question_relay(question=question, user=staff, body="评审想知道场地在哪里")
    assert lines(staff)["questions_to_pass_on"].count == 0


def test_changing_a_due_date_says_the_new_date(staff, reviewer, client):
    app = put_in_state(ApplicationFactory(), Status.IN_REVIEW)
    assignment = ReviewAssignment.objects.create(
        application=app, reviewer=reviewer, declared_at=timezone.now(), due_on=timezone.localdate()
    )
    new = timezone.localdate() + timedelta(days=11)
    client.force_login(staff)
    page = client.post(
        reverse("grants_admin:review_due", args=[assignment.pk]), {"due_on": new.isoformat()}, follow=True
    ).content.decode()
    assert new.isoformat() in page
    assignment.refresh_from_db()
    assert assignment.due_on == new
