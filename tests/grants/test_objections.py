"""Objections to a proposed award under abuse: a flood from one client is cut off by the rate limit,
an objection holds up the award only once its contact is confirmed (a link by email, or a code
staff check by phone), one contact's objections to one notice are one objection, staff hear of
them in one digest, and staff dismiss the ones that are not genuine in bulk, with a reason."""

import re
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core import ratelimit
from fundpool.ledger import services as ledger_services
from fundpool.models import SourceType
from grants import transitions
from grants.award import services as award_services
from grants.common import GrantsError
from grants.lifecycle import Status
from grants.models import Application, Objection, ObjectionStatus

from ..factories import ApplicationFactory
from .conftest import put_in_state

pytestmark = pytest.mark.django_db

OBJECTIONS = ratelimit.LIMITS["objection"]


@pytest.fixture
def on_notice(staff):
    ledger_services.inflow_record(
        source_type=SourceType.DONATION, amount=Decimal("50000"), received_on=timezone.localdate()
    )
    application = put_in_state(ApplicationFactory(), Status.REVIEWED)
    return transitions.application_transition(
        application=application, name="propose_award", user=staff, amount="8000", reason="评审通过"
    )


@pytest.fixture
def another_on_notice(on_notice, staff):
    application = put_in_state(ApplicationFactory(call=on_notice.call), Status.REVIEWED)
    return transitions.application_transition(
        application=application, name="propose_award", user=staff, amount="8000", reason="评审通过"
    )


def end_notice(application):
    Application.objects.filter(pk=application.pk).update(notice_ends_at=timezone.now() - timedelta(seconds=1))


def post(client, application, meta=None, **fields):
    """The notice page's objection form, as sent from one browser (`meta`: its address, headers)."""
    data = {"application": application.pk, "name": "周晓梅", "contact": "13500000000", "text": "经费使用不明"}
    return client.post(reverse("grants:notice"), {**data, **fields}, **(meta or {}))


def staff_mail(mailoutbox):
    return [m for m in mailoutbox if "staff@example.invalid" in m.to]


# --- the flood ----------------------------------------------------------------------------------


def test_a_flood_from_one_client_is_cut_off_and_sends_nothing(
    client, on_notice, staff, mailoutbox, django_capture_on_commit_callbacks
):
    answers = []
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(30):
            answers.append(post(client, on_notice, name=f"匿名{i}", contact=f"a{i}@example.invalid"))
    assert [r.status_code for r in answers] == [200] * OBJECTIONS.per_item + [429] * (30 - OBJECTIONS.per_item)
    assert "提交的异议过多" in answers[-1].content.decode()
    assert Objection.objects.count() == OBJECTIONS.per_item
    # Each stored one asked its own address to confirm; the refused ones sent nothing, and staff
    # got no email per objection.
    assert len(mailoutbox) == OBJECTIONS.per_item and not staff_mail(mailoutbox)


def test_a_forged_forwarded_for_header_does_not_escape_the_objection_limit(client, on_notice):
    for i in range(OBJECTIONS.per_item):
        response = client.post(
            reverse("grants:notice"),
            {"application": on_notice.pk, "name": "周", "contact": f"13500000{i:03d}", "text": "x"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
        assert response.status_code == 200
    response = client.post(
        reverse("grants:notice"),
        {"application": on_notice.pk, "name": "周", "contact": "13600000000", "text": "x"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert response.status_code == 429
    assert Objection.objects.count() == OBJECTIONS.per_item


def test_mistakes_do_not_count_against_the_limit(client, on_notice):
    """A resident who mistypes their phone number more times than the limit still files."""
    for _ in range(OBJECTIONS.per_item + 1):
        response = post(client, on_notice, contact="1381234")
        assert response.status_code == 200 and "请填写手机号" in response.content.decode()
    assert not Objection.objects.exists()
    assert post(client, on_notice, contact="138 1234 5678").status_code == 200
    assert Objection.objects.count() == 1


def test_the_limit_is_per_address_and_award(client, on_notice, another_on_notice):
    for i in range(OBJECTIONS.per_item):
        post(client, on_notice, contact=f"1350000{i:04d}")
    assert post(client, on_notice, contact="13900000000").status_code == 429  # the same award, again
    assert post(client, another_on_notice).status_code == 200  # another award, from the same address
    # another address
    assert post(client, on_notice, contact="13700000000", meta={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    assert Objection.objects.count() == OBJECTIONS.per_item + 2


def test_the_limit_per_address_covers_every_award(client, settings, on_notice, another_on_notice, monkeypatch):
    monkeypatch.setitem(ratelimit.LIMITS, "objection", ratelimit.Limit(per_address=3, per_item=2))
    assert post(client, on_notice, contact="13500000001").status_code == 200
    assert post(client, on_notice, contact="13500000002").status_code == 200
    assert post(client, another_on_notice, contact="13500000003").status_code == 200
    assert post(client, another_on_notice, contact="13500000004").status_code == 429
    assert Objection.objects.count() == 3


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_senders(client, settings, on_notice):
    settings.TRUSTED_PROXY_HOPS = 1
    for i in range(OBJECTIONS.per_item):
        forged = f"10.0.0.{i}, 192.0.2.50"
        assert (
            post(client, on_notice, contact=f"1350000{i:04d}", meta={"HTTP_X_FORWARDED_FOR": forged}).status_code == 200
        )
    assert post(client, on_notice, meta={"HTTP_X_FORWARDED_FOR": "10.9.9.9, 192.0.2.50"}).status_code == 429
    assert post(client, on_notice, meta={"HTTP_X_FORWARDED_FOR": "192.0.2.51"}).status_code == 200


def test_donations_are_rate_limited_per_address(client, stripe_on):
    from fundpool.models import Donation

    gifts = ratelimit.LIMITS["donation"].per_address
    data = {"preset": "50", "custom": "", "designation": "pool", "display_name": "", "message": "", "email": ""}
    for _ in range(gifts):
        assert client.post(reverse("donate"), data).status_code == 302
    response = client.post(reverse("donate"), data, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 429 and "发起的捐赠过多" in response.content.decode()
    assert Donation.objects.count() == gifts and len(stripe_on) == gifts
    assert client.post(reverse("donate"), data, REMOTE_ADDR="10.9.9.9").status_code == 302


# --- confirming the contact ---------------------------------------------------------------------


def test_an_unconfirmed_objection_does_not_hold_up_the_award(on_notice, staff):
    award_services.objection_submit(application=on_notice, name="周", contact="a@example.invalid", text="x")
    end_notice(on_notice)
    assert award_services.notices_close() != []
    assert Application.objects.get(pk=on_notice.pk).status == Status.AWARDED


def test_an_emailed_link_confirms_the_objection_and_then_it_holds_up_the_award(
    client, on_notice, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, on_notice, contact="Zhou.XM@Example.invalid")
    assert "请打开我们发到您邮箱的链接" in response.content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["Zhou.XM@Example.invalid"] and on_notice.title in mail.body
    link = re.search(r"https?://\S+/notice/confirm/\S+/", mail.body).group(0)
    path = link[link.index("/notice/") :]
    objection = Objection.objects.get()
    # Opening the link (a mail scanner does too) shows a button; it does not confirm by itself.
    page = client.get(path)
    assert page.status_code == 200 and on_notice.title in page.content.decode()
    assert Objection.objects.get().status == ObjectionStatus.PENDING
    assert client.post(path).status_code == 200
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN and objection.confirmed_at is not None
    end_notice(on_notice)
    assert award_services.notices_close() == []
    with pytest.raises(GrantsError, match="异议"):
        transitions.application_transition(application=on_notice, name="confirm_award", user=staff)


def test_a_tampered_or_guessed_link_confirms_nothing(client, on_notice):
    filed = award_services.objection_submit(application=on_notice, name="周", contact="a@example.invalid", text="x")
    token = filed.objection.confirm_token()
    for bad in (token[:-2] + "xx", "guessed"):
        assert client.post(reverse("grants:objection_confirm", args=[bad])).status_code == 404
        page = client.get(reverse("grants:objection_confirm", args=[bad]))
        # The objector is told what went wrong and where to go, not shown a bare "page not found".
        assert page.status_code == 404 and "这个确认链接无效或已过期" in page.content.decode()
    assert Objection.objects.get().status == ObjectionStatus.PENDING


def test_a_link_from_an_earlier_notice_of_the_same_award_confirms_nothing(on_notice, staff):
    filed = award_services.objection_submit(application=on_notice, name="周", contact="a@example.invalid", text="x")
    Application.objects.filter(pk=on_notice.pk).update(notice_starts_at=timezone.now())  # proposed again
    with pytest.raises(GrantsError, match="公示"):
        award_services.objection_confirm(token=filed.objection.confirm_token())
    assert Objection.objects.get().status == ObjectionStatus.PENDING


def test_a_phone_objection_shows_a_code_that_staff_check_when_they_call(client, on_notice, staff, finance):
    html = post(client, on_notice, contact="135 0000 0000").content.decode()
    objection = Objection.objects.get()
    code = objection.phone_code()
    assert re.fullmatch(r"\d{6}", code) and code in html
    client.force_login(finance)
    url = reverse("grants_admin:objection_verify", args=[objection.pk])
    assert client.post(url, {"code": code}).url == reverse("wagtailadmin_home")  # the admin's "no permission"
    assert Objection.objects.get().status == ObjectionStatus.PENDING
    client.force_login(staff)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    client.post(url, {"code": wrong})
    assert Objection.objects.get().status == ObjectionStatus.PENDING
    client.post(url, {"code": code})
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN and objection.confirmed_by == staff
    entry = ModelLogEntry.objects.get(action="grants.objection_verify")
    assert entry.user == staff and entry.object_id == str(objection.pk)
    assert Application.objects.get(pk=on_notice.pk).has_open_objection()


# --- duplicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first, again",
    [
        ("13500000000", "+86 135-0000-0000"),
        ("13500000000", "１３５００００００００"),
        ("Zhou@Example.invalid", "zhou@example.INVALID "),
    ],
)
def test_one_contacts_objections_to_one_notice_are_one_objection(
    client, on_notice, first, again, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, on_notice, contact=first, text="第一次")
    sent = len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        html = post(client, on_notice, name="周晓梅", contact=again, text="补充：去年的账目也没有公开").content.decode()
    objection = Objection.objects.get()
    assert "已并入" in html
    assert [s.text for s in objection.statements.all()] == ["补充：去年的账目也没有公开"]
    assert objection.text == "第一次" and len(mailoutbox) == sent  # no second email


def test_a_duplicate_of_a_confirmed_objection_adds_to_it_and_no_second_one_opens(on_notice, staff):
    filed = award_services.objection_submit(application=on_notice, name="周", contact="13500000000", text="一")
    award_services.objection_verify(objection=filed.objection, actor=staff, code=filed.code)
    again = award_services.objection_submit(application=on_notice, name="周", contact="13500000000", text="二")
    assert again.merged and again.objection.pk == filed.objection.pk
    assert Objection.objects.filter(status=ObjectionStatus.OPEN).count() == 1
    assert Objection.objects.get().statements.count() == 1


def test_a_contact_that_is_neither_phone_nor_email_is_refused(on_notice):
    for contact in ("1", "1234567", "hello", "a@b"):
        with pytest.raises(GrantsError, match="手机号"):
            award_services.objection_submit(application=on_notice, name="周", contact=contact, text="x")
    assert not Objection.objects.exists()


# --- one digest for staff -----------------------------------------------------------------------


def test_staff_get_one_digest_and_each_objection_is_in_it_once(
    client, on_notice, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        phone = award_services.objection_submit(application=on_notice, name="周晓梅", contact="13500000000", text="甲")
        email = award_services.objection_submit(
            application=on_notice, name="李明", contact="li@example.invalid", text="乙"
        )
        award_services.objection_confirm(token=email.objection.confirm_token())
        unconfirmed = award_services.objection_submit(
            application=on_notice, name="王", contact="w@example.invalid", text="丙"
        )
    assert not staff_mail(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_notices", stdout=StringIO())
    (digest,) = staff_mail(mailoutbox)
    assert on_notice.title in digest.body and f"#{phone.objection.pk}" in digest.body
    assert f"#{email.objection.pk}" in digest.body and f"#{unconfirmed.objection.pk}" not in digest.body
    for private in ("周晓梅", "13500000000", "李明", "li@example.invalid", "甲", "乙"):
        assert private not in digest.body
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_notices", stdout=StringIO())
        award_services.objection_confirm(token=unconfirmed.objection.confirm_token())
    assert len(staff_mail(mailoutbox)) == 1  # nothing new: no second digest
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_notices", stdout=StringIO())
    later = staff_mail(mailoutbox)[-1]
    assert f"#{unconfirmed.objection.pk}" in later.body and f"#{phone.objection.pk}" not in later.body
    digest_of = dict(Objection.objects.values_list("pk", "digest"))
    assert None not in digest_of.values()
    assert digest_of[phone.objection.pk] == digest_of[email.objection.pk] != digest_of[unconfirmed.objection.pk]


# --- dismissing in bulk -------------------------------------------------------------------------


def test_staff_dismiss_objections_that_are_not_genuine_in_bulk_with_a_reason(client, on_notice, staff, finance):
    filed = [
        award_services.objection_submit(
            application=on_notice, name=f"刷{i}", contact=f"s{i}@example.invalid", text="刷屏"
        )
        for i in range(3)
    ]
    kept = award_services.objection_submit(application=on_notice, name="周", contact="13500000000", text="真实异议")
    url = reverse("grants_admin:objections_dismiss", args=[on_notice.pk])
    chosen = [f.objection.pk for f in filed]
    client.force_login(finance)
    assert client.post(url, {"objections": chosen, "reason": "同一来源批量提交"}).url == reverse("wagtailadmin_home")
    assert not Objection.objects.filter(status=ObjectionStatus.NOT_GENUINE).exists()
    client.force_login(staff)
    client.post(url, {"objections": chosen, "reason": ""})
    assert not Objection.objects.filter(status=ObjectionStatus.NOT_GENUINE).exists()
    response = client.post(url, {"objections": chosen, "reason": "同一来源批量提交"}, follow=True)
    assert "3 条异议" in response.content.decode()
    for objection in Objection.objects.filter(pk__in=chosen):
        assert objection.status == ObjectionStatus.NOT_GENUINE
        assert objection.resolution == "同一来源批量提交" and objection.resolved_by == staff
    assert Objection.objects.get(pk=kept.objection.pk).status == ObjectionStatus.PENDING
    entries = ModelLogEntry.objects.filter(action="grants.objection_dismiss")
    assert sorted(int(e.object_id) for e in entries) == sorted(chosen)
    assert all(e.data["reason"] == "同一来源批量提交" and e.user == staff for e in entries)


def test_objections_of_another_award_are_not_dismissed_from_this_one(client, on_notice, another_on_notice, staff):
    other = award_services.objection_submit(application=another_on_notice, name="周", contact="13500000000", text="x")
    client.force_login(staff)
    client.post(
        reverse("grants_admin:objections_dismiss", args=[on_notice.pk]),
        {"objections": [other.objection.pk], "reason": "刷屏"},
    )
    assert Objection.objects.get(pk=other.objection.pk).status == ObjectionStatus.PENDING


def test_the_application_page_lists_objections_for_staff_with_what_to_do_next(client, on_notice, staff):
    phone = award_services.objection_submit(application=on_notice, name="周晓梅", contact="13500000000", text="甲")
    award_services.objection_submit(application=on_notice, name="周晓梅", contact="13500000000", text="补充说明")
    client.force_login(staff)
    html = client.get(reverse("grants_admin:application", args=[on_notice.pk])).content.decode()
    assert reverse("grants_admin:objection_verify", args=[phone.objection.pk]) in html
    assert reverse("grants_admin:objections_dismiss", args=[on_notice.pk]) in html
    assert "补充说明" in html and "13500000000" in html and phone.code not in html


# --- at the same instant (PostgreSQL, real threads) -----------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent sessions")
@pytest.mark.django_db(transaction=True)
def test_one_contact_filing_from_many_browsers_at_once_makes_one_objection(on_notice):
    from ..fundpool.test_concurrency import race

    contacts = ["13500000000", "135 0000 0000", "+8613500000000", "135-0000-0000"] * 2
    results = race(
        len(contacts),
        lambda i: award_services.objection_submit(
            application=on_notice, name="周", contact=contacts[i], text=f"第{i}次"
        ),
    )
    assert all(isinstance(r, award_services.ObjectionFiled) for r in results), results
    objection = Objection.objects.get()
    assert sum(not r.merged for r in results) == 1
    assert objection.statements.count() == len(contacts) - 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL and concurrent sessions")
@pytest.mark.django_db(transaction=True)
def test_two_digest_runs_at_once_report_each_objection_once(on_notice, staff, mailoutbox):
    from ..fundpool.test_concurrency import race

    for i in range(4):
        award_services.objection_submit(application=on_notice, name="周", contact=f"1350000000{i}", text="x")
    results = race(2, lambda i: award_services.objection_digest_send())
    digests = [r for r in results if r is not None]
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(d.objections.count() for d in digests) == 4
    assert not Objection.objects.filter(digest__isnull=True).exists()
