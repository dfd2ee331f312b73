"""Pages, as each kind of person meets them: who sees what (a matrix over someone else's
objects), the application form, staff screening, CSV export and the lifecycle page."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from grants import common, transitions
from grants.applications import services as application_services
from grants.groups import services as group_services
from grants.lifecycle import Status
from grants.models import Application, ApplicationAttachment
from grants.review import services as review_services

from ..factories import ApplicationFactory, GroupFactory, UserFactory
from .conftest import application_form, put_in_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def other():
    """Someone else's application, with an attachment: applicant A must never reach it."""
    application = ApplicationFactory()
    leader = application.group.memberships.get(role="leader").user
    attachment = application_services.application_attach(
        application=application,
        user=leader,
        file=SimpleUploadedFile("plan.pdf", b"%PDF-1.4 secret plan", content_type="application/pdf"),
    )
    return application, attachment


@pytest.fixture
def applicant_a():
    user = UserFactory(username="applicant-a", email="a@example.invalid")
    GroupFactory(leader=user)
    return user


def urls_for(application, attachment):
    pk, group = application.pk, application.group_id
    return [
        ("get", reverse("grants:application_detail", args=[pk])),
        ("get", reverse("grants:application_edit", args=[pk])),
        ("post", reverse("grants:application_autosave", args=[pk])),
        ("post", reverse("grants:application_withdraw", args=[pk])),
        ("post", reverse("grants:attachment_add", args=[pk])),
        ("get", reverse("grants:attachment_download", args=[attachment.pk])),
        ("post", reverse("grants:attachment_delete", args=[attachment.pk])),
        ("get", reverse("grants:group_detail", args=[group])),
        ("get", reverse("grants:group_edit", args=[group])),
    ]


@pytest.mark.parametrize("who", ["applicant", "reviewer"])
def test_other_peoples_applications_groups_and_files_are_404(client, other, who, applicant_a, reviewer):
    application, attachment = other
    client.force_login(applicant_a if who == "applicant" else reviewer)
    for method, url in urls_for(application, attachment):
        response = getattr(client, method)(url)
        assert response.status_code == 404, (who, url, response.status_code)
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT
    assert ApplicationAttachment.objects.filter(pk=attachment.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, other):
    application, attachment = other
    for method, url in urls_for(application, attachment):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_staff_may_read_an_application_and_its_files_but_not_edit_it(client, other, staff):
    application, attachment = other
    client.force_login(staff)
    assert client.get(reverse("grants_admin:application", args=[application.pk])).status_code == 200
    download = client.get(reverse("grants:attachment_download", args=[attachment.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 secret plan"
    assert client.get(reverse("grants:application_edit", args=[application.pk])).status_code == 404


@pytest.mark.parametrize("who", ["applicant", "reviewer", "finance"])
def test_staff_pages_are_closed_to_others(client, other, who, applicant_a, reviewer, finance):
    application, _ = other
    user = {"applicant": applicant_a, "reviewer": reviewer, "finance": finance}[who]
    client.force_login(user)
    step = reverse("grants_admin:application_step", args=[application.pk, "reject_eligibility"])
    response = client.post(step, {"reason": "x"})
    assert response.status_code in (302, 403)
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT
    filing = client.post(
        reverse("grants_admin:group_filing", args=[application.group_id]), {"action": "return", "reason": "x"}
    )
    assert filing.status_code in (302, 403)


def leader_client(client, application):
    client.force_login(application.group.memberships.get(role="leader").user)
    return client


def test_the_form_saves_a_draft_and_then_submits(client, mailoutbox, django_capture_on_commit_callbacks):
    application = ApplicationFactory()
    c = leader_client(client, application)
    url = reverse("grants:application_edit", args=[application.pk])
    response = c.post(url, application_form(application, title="社区长者食堂"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.title == "社区长者食堂" and application.budget_lines.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = c.post(url, {**application_form(application, title="社区长者食堂"), "submit": "1"})
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED
    assert len(mailoutbox) == 1


def test_submit_shows_every_error_at_once_in_chinese(client):
    application = ApplicationFactory()
    c = leader_client(client, application)
    response = c.post(
        reverse("grants:application_edit", args=[application.pk]),
        {**application_form(application, summary="", team="", requested_amount="99999"), "submit": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("请填写项目概述", "请填写项目团队", "合计 ¥10,000.00", "¥20,000.00"):
        assert text in html, text
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_a_line_whose_sum_is_wrong_is_pointed_out_beside_it(client):
    application = ApplicationFactory()
    c = leader_client(client, application)
    response = c.post(
        reverse("grants:application_edit", args=[application.pk]),
        application_form(application, **{"lines-0-amount": "7000"}),
    )
    assert "20.00 × 400 等于 8000.00，而不是 7000.00" in response.content.decode()


def test_posting_status_or_award_fields_changes_nothing_of_them(client):
    application = ApplicationFactory()
    c = leader_client(client, application)
    c.post(
        reverse("grants:application_edit", args=[application.pk]),
        application_form(application, status="completed", awarded_amount="99999", call="999"),
    )
    c.post(
        reverse("grants:application_autosave", args=[application.pk]),
        application_form(application, status="awarded", awarded_amount="99999"),
    )
    application.refresh_from_db()
    assert application.status == Status.DRAFT and application.awarded_amount is None


def test_autosave_keeps_what_is_valid_and_answers_json(client):
    application = ApplicationFactory()
    c = leader_client(client, application)
    response = c.post(
        reverse("grants:application_autosave", args=[application.pk]),
        application_form(application, title="自动保存的标题", requested_amount="12.345"),
    )
    body = response.json()
    # Not everything typed was saved, so the answer does not say "saved" (tests/grants/test_autosave.py).
    assert response.status_code == 200 and body["saved"] is False and "requested_amount" in body["pending"]
    application.refresh_from_db()
    assert application.title == "自动保存的标题" and application.requested_amount == 10000


def test_an_html_file_renamed_pdf_is_refused_on_upload(client):
    application = ApplicationFactory()
    c = leader_client(client, application)
    fake = SimpleUploadedFile("报告.pdf", b"<html>not really</html>", content_type="application/pdf")
    response = c.post(reverse("grants:attachment_add", args=[application.pk]), {"attachment-file": fake}, follow=True)
    assert "按文件内容判断" in response.content.decode()
    assert not application.attachments.exists()


def test_registering_a_group_from_a_phone_form(client, roles):
    from ..factories import CommunityFactory

    community = CommunityFactory()
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("grants:group_create"),
        {
            "name": "楼道自治角",
            "group_type": "interest",
            "community": community.pk,
            "leader_name": "周杰",
            "leader_phone": "13700000000",
            "member_count": "15",
            "member_list": "周杰 3栋",
            "introduction": "",
            "credit_code": "",
        },
    )
    assert response.status_code == 302
    assert user.group_memberships.get().group.name == "楼道自治角"


def test_the_dashboard_shows_groups_applications_and_next_steps(client):
    application = ApplicationFactory()
    c = leader_client(client, application)
    html = c.get(reverse("grants:dashboard")).content.decode()
    assert application.group.name in html and application.title in html and "提交" in html


def test_the_status_timeline_speaks_to_the_applicant(client, staff):
    application = ApplicationFactory()
    leader = application.group.memberships.get(role="leader").user
    application_services.application_submit(application=application, user=leader)
    transitions.application_transition(
        application=application, name="return_for_changes", user=staff, reason="请补充预算说明"
    )
    html = (
        leader_client(client, application)
        .get(reverse("grants:application_detail", args=[application.pk]))
        .content.decode()
    )
    assert "已提交，资格审查中" in html and "已退回，请修改" in html and "请补充预算说明" in html
    assert staff.username not in html


def test_staff_screen_from_the_call_list(client, staff):
    application = ApplicationFactory()
    put_in_state(application, Status.SUBMITTED)
    client.force_login(staff)
    listing = client.get(reverse("grants_admin:call_applications", args=[application.call_id]), {"status": "submitted"})
    assert application.title in listing.content.decode()
    step = reverse("grants_admin:application_step", args=[application.pk, "reject_eligibility"])
    client.post(step, {"reason": ""})
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED
    client.post(step, {"reason": "不在本批次服务范围"})
    assert Application.objects.get(pk=application.pk).status == Status.INELIGIBLE


def test_staff_filters_by_theme_community_and_track(client, staff):
    first, second = ApplicationFactory(), ApplicationFactory()
    put_in_state(first, Status.SUBMITTED)
    put_in_state(second, Status.SUBMITTED)
    client.force_login(staff)
    url = reverse("grants_admin:call_applications", args=[first.call_id])
    html = client.get(url, {"community": first.group.community.code}).content.decode()
    assert first.title in html
    html = client.get(url, {"track": "registered"}).content.decode()
    assert first.title not in html


def test_csv_export_is_utf8_with_chinese_and_neutralises_formulas(client, staff):
    application = ApplicationFactory(title='=HYPERLINK("http://x")')
    put_in_state(application, Status.SUBMITTED)
    client.force_login(staff)
    response = client.get(reverse("grants_admin:call_applications", args=[application.call_id]), {"format": "csv"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0][0] == "编号" and len(rows) == 2
    assert rows[1][1].startswith("'=") and rows[1][5] == "已提交，待资格审查"


def test_staff_file_a_group_from_its_filing_page(client, staff):
    group = GroupFactory(filing_status="pending", filing_number="", filed_on=None)
    client.force_login(staff)
    url = reverse("grants_admin:group_filing", args=[group.pk])
    client.post(url, {"action": "file", "filing_number": "CH-2026-900", "filed_on": "2026-11-01"})
    group.refresh_from_db()
    assert group.is_filed and group.filing_number == "CH-2026-900"


def test_the_lifecycle_page_draws_every_state(client, staff):
    client.force_login(staff)
    html = client.get(reverse("grants_admin:lifecycle")).content.decode()
    for state in ("draft", "on_notice", "withdrawn", "评审中", "已结项"):
        assert state in html


def test_an_untouched_extra_budget_row_does_not_block_saving(client):
    application = ApplicationFactory()
    c = leader_client(client, application)
    html = c.get(reverse("grants:application_edit", args=[application.pk])).content.decode()
    assert 'name="lines-2-category"' in html  # two saved lines and one blank row
    data = application_form(
        application,
        **{
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "2",
            "lines-2-category": "",
            "lines-2-item": "",
            "lines-2-unit_cost": "",
            "lines-2-quantity": "",
            "lines-2-amount": "",
        },
    )
    response = c.post(reverse("grants:application_edit", args=[application.pk]), {**data, "submit": "1"})
    assert response.status_code == 302
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED


def test_a_charter_is_served_to_members_and_staff_only(client, staff, applicant_a):
    leader = UserFactory()
    group = group_services.group_register(
        user=leader,
        name="章程测试队",
        group_type="interest",
        community=GroupFactory().community,
        leader_name="甲",
        leader_phone="13700000001",
        member_count=12,
        member_list="甲",
        introduction="",
        credit_code="",
        charter=SimpleUploadedFile("章程.pdf", b"%PDF-1.4 charter", content_type="application/pdf"),
    )
    url = reverse("grants:group_charter", args=[group.pk])
    client.force_login(applicant_a)
    assert client.get(url).status_code == 404
    for user in (leader, staff):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 charter"


def test_staff_grant_roles_in_the_admin(client, staff, roles):
    person = UserFactory(username="new-reviewer")
    client.force_login(staff)
    assert client.get("/admin/users/").status_code == 200
    assert client.get(f"/admin/users/edit/{person.pk}/").status_code == 200


def call_admin_data(weights, shares):
    data = {
        "title": "测试批次",
        "slug": "admin-call",
        "description": "",
        "published": "on",
        "opens_at": f"{timezone.localdate():%Y-%m-%d} 09:00",
        "closes_at": f"{timezone.localdate() + timedelta(days=30):%Y-%m-%d} 18:00",
        "notice_days": "7",
        "budget": "100000",
        "min_amount": "2000",
        "max_amount": "20000",
        "tracks": ["filed"],
        "reviewers_per_application": "3",
        "review_days": "14",
        "spending_tolerance": "10",
        "inactivity_days": "30",
        "midterm_report_days": "90",
        "final_report_days": "180",
        "criteria-TOTAL_FORMS": str(len(weights)),
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
        "tranches-TOTAL_FORMS": str(len(shares)),
        "tranches-INITIAL_FORMS": "0",
        "tranches-MIN_NUM_FORMS": "1",
        "tranches-MAX_NUM_FORMS": "1000",
        "checks-TOTAL_FORMS": "0",
        "checks-INITIAL_FORMS": "0",
        "checks-MIN_NUM_FORMS": "0",
        "checks-MAX_NUM_FORMS": "1000",
    }
    for i, w in enumerate(weights):
        data.update(
            {
                f"criteria-{i}-name": f"指标{i}",
                f"criteria-{i}-description": "",
                f"criteria-{i}-max_points": "10",
                f"criteria-{i}-weight": str(w),
                f"criteria-{i}-ORDER": str(i + 1),
                f"criteria-{i}-id": "",
            }
        )
    for i, s in enumerate(shares):
        data.update(
            {
                f"tranches-{i}-share": str(s),
                f"tranches-{i}-trigger": "signing",
                f"tranches-{i}-due_after_days": "",
                f"tranches-{i}-ORDER": str(i + 1),
                f"tranches-{i}-id": "",
            }
        )
    return data


def test_a_call_needs_weights_and_tranche_shares_that_add_up_to_100(client, staff):
    from grants.models import Call

    client.force_login(staff)
    response = client.post(reverse("call:add"), call_admin_data([50, 40], [60, 30]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "权重之和必须为 100（当前为 90" in html and "比例之和必须为 100%（当前为 90" in html
    assert not Call.objects.exists()
    response = client.post(reverse("call:add"), call_admin_data([60, 40], [60, 40]))
    call = Call.objects.get()
    assert call.criteria.count() == 2 and call.tranche_total_share() == 100
    assert call.tracks == ["filed"]


def test_the_call_form_refuses_a_notice_shorter_than_the_minimum(client, staff):
    from grants.models import Call

    client.force_login(staff)
    data = call_admin_data([60, 40], [60, 40])
    response = client.post(reverse("call:add"), {**data, "notice_days": "0"})
    assert response.status_code == 200 and "公示期至少 5 天。" in response.content.decode()
    assert not Call.objects.exists()
    client.post(reverse("call:add"), {**data, "notice_days": "5"})
    assert Call.objects.get().notice_days == 5


def test_staff_assign_reviewers_and_then_start_the_review(client, staff, roles):
    application = ApplicationFactory()
    put_in_state(application, Status.SUBMITTED)
    leader = application.group.memberships.get(role="leader").user
    leader.groups.add(roles["reviewer"])  # a reviewer who belongs to the group is never offered
    first, second = UserFactory(username="trustee-a"), UserFactory(username="trustee-b")
    for r in (first, second):
        r.groups.add(roles["reviewer"])
    client.force_login(staff)
    page = client.get(reverse("grants_admin:application", args=[application.pk])).content.decode()
    assert "trustee-a" in page and f'value="{leader.pk}"' not in page
    client.post(
        reverse("grants_admin:application_reviewers", args=[application.pk]),
        {"reviewers": [first.pk, second.pk, leader.pk]},
    )
    assert set(application.review_assignments.values_list("reviewer__username", flat=True)) == {
        "trustee-a",
        "trustee-b",
    }
    client.post(reverse("grants_admin:application_step", args=[application.pk, "start_review"]))
    assert Application.objects.get(pk=application.pk).status == Status.IN_REVIEW


def test_a_group_member_cannot_be_assigned_to_review_it(staff, roles):
    application = ApplicationFactory()
    put_in_state(application, Status.SUBMITTED)
    leader = application.group.memberships.get(role="leader").user
    leader.groups.add(roles["reviewer"])
    with pytest.raises(common.GrantsError, match="是申报团队成员"):
        review_services.review_assign(application=application, reviewers=[leader], actor=staff)
    assert not application.review_assignments.exists()


def test_next_steps_name_what_is_missing(client):
    application = ApplicationFactory(team="")
    html = leader_client(client, application).get(reverse("grants:dashboard")).content.decode()
    assert "请填写项目团队" in html
