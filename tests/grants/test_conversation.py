"""Conversations between a group and staff: messages with files, internal notes, read and unread,
reviewers' questions through staff (answers without who wrote them), requests for information
with their items, reminders, and the objector's private page."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.models import OutboundEmail
from grants.common import GrantsError
from grants.conversation import reminders, selectors, services
from grants.lifecycle import Status
from grants.models import InfoRequestItem, ItemStatus, Message, MessageKind, ReviewAssignment, Thread

from ..factories import ApplicationFactory, CallFactory, UserFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db


def pdf(name="plan.pdf"):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


@pytest.fixture
def app(db):
    return put_in_state(ApplicationFactory(), Status.SUBMITTED)


@pytest.fixture
def leader(app):
    return app.group.memberships.get().user


def emails(app, kind):
    return list(OutboundEmail.objects.filter(ref=app.reference, kind=kind))


def test_the_group_writes_with_a_file_and_staff_are_told(
    app, leader, staff, client, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("grants:thread", args=[app.pk]), {"body": "请问预算可以调整吗？", "nonce": "n1", "files": [pdf()]}
        )
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.body == "请问预算可以调整吗？" and not message.from_fund
    assert message.attachments.get().content_type == "application/pdf"
    [email] = emails(app, "message")
    assert staff.email in email.to and "请问预算可以调整吗？" in email.body
    # The thread now waits on staff.
    assert Thread.objects.get().awaiting_staff_since == message.created_at


def test_double_click_sends_one_message(app, leader, client):
    client.force_login(leader)
    for _ in range(2):
        client.post(reverse("grants:thread", args=[app.pk]), {"body": "你好", "nonce": "same"})
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "files", "problem"),
    [
        ("   ", [], "消息"),
        ("长" * 5001, [], "5000"),
        ("附件", [SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>", content_type="application/pdf")], "x.pdf"),
    ],
    ids=["empty", "too long", "file fails the upload rules"],
)
def test_bad_messages_are_refused_and_change_nothing(app, leader, client, body, files, problem):
    client.force_login(leader)
    response = client.post(reverse("grants:thread", args=[app.pk]), {"body": body, "nonce": "b", "files": files})
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert Message.objects.count() == 0
    # What was typed is kept.
    if body.strip() and len(body) <= 5000:
        assert body in response.content.decode()


def test_a_thread_of_another_group_is_404(app, client):
    other = ApplicationFactory()
    client.force_login(other.group.memberships.get().user)
    assert client.get(reverse("grants:thread", args=[app.pk])).status_code == 404
    assert client.post(reverse("grants:thread", args=[app.pk]), {"body": "hi", "nonce": "x"}).status_code == 404
    assert Message.objects.count() == 0


def test_internal_notes_never_reach_the_group(app, leader, staff, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(application=app, user=staff, body="内部：该组去年报告迟交", as_fund=True, internal=True)
        services.message_send(application=app, user=staff, body="请补充成员名单", as_fund=True, nonce="s1")
    client.force_login(leader)
    page = client.get(reverse("grants:thread", args=[app.pk])).content.decode()
    assert "请补充成员名单" in page and "该组去年报告迟交" not in page
    assert [e.body for e in emails(app, "message") if "该组去年报告迟交" in e.body] == []
    assert len(emails(app, "message")) == 1
    # The note is visibly different on the staff page.
    client.force_login(staff)
    staff_page = client.get(reverse("grants_admin:thread", args=[app.pk])).content.decode()
    assert 'class="msg note"' in staff_page and "该组去年报告迟交" in staff_page


def test_a_group_member_cannot_write_a_note(app, leader):
    with pytest.raises(GrantsError):
        services.message_send(application=app, user=leader, body="x", as_fund=False, internal=True)
    assert Message.objects.count() == 0


def test_unread_until_opened(app, leader, staff, client):
    services.message_send(application=app, user=staff, body="第一条", as_fund=True)
    services.message_send(application=app, user=staff, body="第二条", as_fund=True)
    assert selectors.unread_by_application(user=leader, application_ids=[app.pk], side="group") == {app.pk: 2}
    client.force_login(leader)
    dashboard = client.get(reverse("grants:dashboard")).content.decode()
    assert "2 条新消息" in dashboard
    client.get(reverse("grants:thread", args=[app.pk]))
    assert selectors.unread_by_application(user=leader, application_ids=[app.pk], side="group") == {}
    # Staff's own messages are not unread for staff; the group's answer is.
    services.message_send(application=app, user=leader, body="收到", as_fund=False)
    assert selectors.unread_by_application(user=staff, application_ids=[app.pk], side="fund") == {app.pk: 1}


def test_a_staff_answer_clears_the_wait(app, leader, staff):
    services.message_send(application=app, user=leader, body="问题", as_fund=False)
    assert Thread.objects.get().awaiting_staff_since is not None
    services.message_send(application=app, user=staff, body="内部", as_fund=True, internal=True)
    assert Thread.objects.get().awaiting_staff_since is not None  # a note is not an answer
    services.message_send(application=app, user=staff, body="回答", as_fund=True)
    assert Thread.objects.get().awaiting_staff_since is None


# --- reviewers' questions ------------------------------------------------------------------------


def test_a_reviewers_question_goes_through_staff_and_the_answer_comes_back_anonymous(
    reviewer, staff, client, django_capture_on_commit_callbacks
):
    app = put_in_state(ApplicationFactory(call=CallFactory(blind_review=True)), Status.IN_REVIEW)
    leader = app.group.memberships.get().user
    assignment = ReviewAssignment.objects.create(application=app, reviewer=reviewer, declared_at=timezone.now())
    client.force_login(reviewer)
    client.post(reverse("grants:review_question", args=[assignment.pk]), {"body": "活动场地在哪里？", "nonce": "q"})
    question = Message.objects.get(kind=MessageKind.QUESTION)
    # The group does not see the question until staff pass it on.
    assert "活动场地在哪里" not in _page(client, leader, reverse("grants:thread", args=[app.pk]))
    relay = services.question_relay(question=question, user=staff, body="评审想知道：活动场地在哪里？")
    assert relay.relays == question and reviewer.username not in relay.body
    page = _page(client, leader, reverse("grants:thread", args=[app.pk]))
    assert "评审想知道" in page and reviewer.username not in page
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(application=app, user=leader, body="在社区活动室", as_fund=False, reply_to=relay)
    # The reviewer is emailed the answer, without who wrote it or which group.
    [told] = OutboundEmail.objects.filter(kind="question_answered")
    assert told.to == reviewer.email and "在社区活动室" in told.body
    assert app.group.name not in told.body + told.subject and leader.username not in told.body
    review_page = _page(client, reviewer, reverse("grants:review_detail", args=[assignment.pk]))
    assert "在社区活动室" in review_page
    # Blind review: nothing says who answered, nor which group.
    for secret in (leader.username, leader.get_full_name() or leader.username, app.group.name, app.group.leader_name):
        assert secret not in review_page


def _page(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_question_cannot_be_relayed_twice(app, reviewer, staff):
    assignment = ReviewAssignment.objects.create(application=app, reviewer=reviewer, declared_at=timezone.now())
    question = services.question_ask(assignment=assignment, user=reviewer, body="问题")
    services.question_relay(question=question, user=staff, body="问题")
    with pytest.raises(GrantsError):
        services.question_relay(question=question, user=staff, body="再问")
    assert Message.objects.filter(relays=question).count() == 1


def test_another_reviewer_cannot_ask_on_someone_elses_assignment(app, reviewer, client):
    assignment = ReviewAssignment.objects.create(application=app, reviewer=reviewer, declared_at=timezone.now())
    other = UserFactory()
    client.force_login(other)
    response = client.post(reverse("grants:review_question", args=[assignment.pk]), {"body": "x"})
    assert response.status_code == 404
    assert Message.objects.count() == 0


# --- requests for information -----------------------------------------------------------------


def test_staff_ask_the_group_answers_with_a_file_and_staff_accept(
    app, leader, staff, client, django_capture_on_commit_callbacks
):
    due = timezone.localdate() + timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        request = services.info_request_create(
            application=app,
            user=staff,
            items=[services.ItemInput("成员签名名单", due), services.ItemInput("场地证明", due)],
        )
    assert len(emails(app, "info_request")) == 1
    client.force_login(leader)
    dashboard = client.get(reverse("grants:dashboard")).content.decode()
    assert "成员签名名单" in dashboard and "场地证明" in dashboard
    assert "成员签名名单" in client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()
    first = request.items.get(label="成员签名名单")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("grants:thread", args=[app.pk]),
            {"body": "名单见附件", "nonce": "a", "files": [pdf("名单.pdf")], "items": [str(first.pk)]},
        )
    first.refresh_from_db()
    assert first.status == ItemStatus.DONE
    assert request.items.get(label="场地证明").status == ItemStatus.OPEN
    services.item_accept(item=first, user=staff)
    first.refresh_from_db()
    assert first.status == ItemStatus.ACCEPTED
    # Accepted items leave the dashboard; the open one stays.
    dashboard = client.get(reverse("grants:dashboard")).content.decode()
    assert "成员签名名单" not in dashboard and "场地证明" in dashboard


def test_ask_again_reopens_with_a_new_date_and_tells_the_group(app, leader, staff):
    due = timezone.localdate() + timedelta(days=3)
    request = services.info_request_create(application=app, user=staff, items=[services.ItemInput("预算说明", due)])
    item = request.items.get()
    services.item_done(item=item, user=leader)
    later = due + timedelta(days=4)
    services.item_ask_again(item=item, user=staff, reason="缺少交通费说明", due_on=later)
    item.refresh_from_db()
    assert (item.status, item.due_on, item.asked_again) == (ItemStatus.OPEN, later, 1)
    assert Message.objects.filter(body__contains="缺少交通费说明", from_fund=True).exists()


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([], "至少"),
        ([("名单", -1)], "已经过去"),
        ([("", 3)], "说明"),
        ([("名单", None)], "截止日期"),
    ],
    ids=["nothing asked", "due date in the past", "no label", "no due date"],
)
def test_bad_requests_are_refused_and_change_nothing(app, staff, items, problem):
    today = timezone.localdate()
    inputs = [
        services.ItemInput(label, None if days is None else today + timedelta(days=days)) for label, days in items
    ]
    with pytest.raises(GrantsError) as refused:
        services.info_request_create(application=app, user=staff, items=inputs or [services.ItemInput("", None)])
    assert problem in str(refused.value)
    assert InfoRequestItem.objects.count() == 0 and Message.objects.count() == 0


def test_staff_request_form_refuses_a_past_date(app, staff, client):
    client.force_login(staff)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        reverse("grants_admin:info_request_new", args=[app.pk]), {"label": ["名单"], "due_on": [yesterday]}, follow=True
    )
    assert "已经过去" in response.content.decode()
    assert InfoRequestItem.objects.count() == 0


def test_a_group_cannot_mark_another_groups_item(app, staff, client):
    request = services.info_request_create(
        application=app, user=staff, items=[services.ItemInput("名单", timezone.localdate())]
    )
    stranger = ApplicationFactory().group.memberships.get().user
    client.force_login(stranger)
    assert client.post(reverse("grants:item_done", args=[request.items.get().pk])).status_code == 404
    assert request.items.get().status == ItemStatus.OPEN


def test_reminders_before_the_due_date_and_when_missed_go_once(app, leader, staff, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    services.info_request_create(
        application=app, user=staff, items=[services.ItemInput("名单", today + timedelta(days=2))]
    )
    with django_capture_on_commit_callbacks(execute=True):
        reminders.info_reminders_send(today=today)
        reminders.info_reminders_send(today=today)  # a second run the same day sends nothing more
    [before] = emails(app, "info_reminder")
    assert before.to == leader.email and "名单" in before.body
    with django_capture_on_commit_callbacks(execute=True):
        reminders.info_reminders_send(today=today + timedelta(days=3))
    missed = emails(app, "info_reminder")
    assert sorted(e.to for e in missed) == sorted([leader.email, leader.email, staff.email])
    # Nothing for an item already sent.
    InfoRequestItem.objects.update(status=ItemStatus.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        reminders.info_reminders_send(today=today + timedelta(days=4))
    assert len(emails(app, "info_reminder")) == 3


def test_a_request_double_submitted_asks_once(app, staff, client):
    client.force_login(staff)
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    for _ in range(2):
        client.post(
            reverse("grants_admin:info_request_new", args=[app.pk]), {"label": ["名单"], "due_on": [due], "nonce": "r1"}
        )
    assert InfoRequestItem.objects.count() == 1


def test_a_refused_request_keeps_what_staff_typed(app, staff, client):
    client.force_login(staff)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        reverse("grants_admin:info_request_new", args=[app.pk]),
        {"label": ["成员签名名单", "场地证明"], "due_on": [yesterday, ""], "note": "尽快"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="成员签名名单"' in page and 'value="场地证明"' in page and "尽快" in page
    assert '<details id="request" open>' in page


def test_accepting_an_item_tells_the_group(app, leader, staff, django_capture_on_commit_callbacks):
    request = services.info_request_create(
        application=app, user=staff, items=[services.ItemInput("名单", timezone.localdate())]
    )
    item = request.items.get()
    services.item_done(item=item, user=leader)
    with django_capture_on_commit_callbacks(execute=True):
        services.item_accept(item=item, user=staff)
    told = Message.objects.filter(from_fund=True, body__contains="名单").order_by("-pk").first()
    assert told.body == "已收到并确认：名单。谢谢！"
    assert any("名单" in e.body for e in emails(app, "message"))


def test_no_request_on_a_draft_or_a_closed_application(staff):
    draft = ApplicationFactory()
    with pytest.raises(GrantsError):
        services.info_request_create(
            application=draft, user=staff, items=[services.ItemInput("名单", timezone.localdate())]
        )
    assert InfoRequestItem.objects.count() == 0


# --- the objector's private page -------------------------------------------------------------


def test_the_objector_reads_staff_answer_on_a_private_page_and_nothing_is_public(
    staff, client, django_capture_on_commit_callbacks, roles
):
    from grants.award import services as award_services
    from grants.models import Objection

    decider = UserFactory(username="decider")
    decider.groups.add(roles["staff"])
    app = put_in_state(ApplicationFactory(), Status.ON_NOTICE)
    objection = Objection.objects.create(
        application=app, name="赵六", contact="zhao@example.invalid", contact_method="email", text="有亲属关系"
    )
    assert objection.reference.startswith("YY-")
    page_url = reverse("grants:objection_page", args=[objection.page_token()])
    before = client.get(page_url).content.decode()
    assert objection.reference in before and "尚未答复" in before
    with django_capture_on_commit_callbacks(execute=True):
        award_services.objection_reply(objection=objection, actor=decider, text="经核实，组长与评审无亲属关系。")
    after = client.get(page_url)
    assert "经核实，组长与评审无亲属关系。" in after.content.decode()
    assert "赵六" not in after.content.decode() and "zhao@example.invalid" not in after.content.decode()
    assert after["Cache-Control"] == "private, no-store"
    [email] = OutboundEmail.objects.filter(kind="objection_answered")
    assert email.to == "zhao@example.invalid" and objection.page_token() in email.body
    # The public notice shows neither the answer nor the objector.
    notice = client.get(reverse("grants:notice")).content.decode()
    assert "经核实" not in notice and "赵六" not in notice
    # A tampered link finds nothing.
    assert client.get(reverse("grants:objection_page", args=[objection.page_token() + "x"])).status_code == 404


def test_an_empty_answer_is_refused(staff, roles):
    from grants.award import services as award_services
    from grants.models import Objection

    app = put_in_state(ApplicationFactory(), Status.ON_NOTICE)
    objection = Objection.objects.create(application=app, name="赵六", contact="13900000000", text="x")
    with pytest.raises(GrantsError):
        award_services.objection_reply(objection=objection, actor=staff, text="   ")
    objection.refresh_from_db()
    assert objection.reply == "" and objection.replied_at is None


def test_an_ended_notice_offers_no_objection_form(client):
    app = put_in_state(ApplicationFactory(title="公示已过的项目"), Status.ON_NOTICE)  # ended a minute ago
    page = client.get(reverse("grants:notice")).content.decode()
    entry = page.split(f'id="notice-{app.pk}"')[1].split("</article>")[0]
    assert "不再接受异议" in entry and 'name="contact"' not in entry


def test_the_objectors_page_labels_the_time_received(client):
    from grants.models import Objection

    app = put_in_state(ApplicationFactory(), Status.ON_NOTICE)
    objection = Objection.objects.create(application=app, name="赵六", contact="13900000000", text="x")
    page = client.get(reverse("grants:objection_page", args=[objection.page_token()])).content.decode()
    assert "提交时间" in page and "累计收入" not in page
