"""Groups, invitations and applications: what the services accept and, above all, refuse."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grants.applications import services as application_services
from grants.applications.services import LineInput
from grants.common import GrantsError
from grants.groups import services as group_services
from grants.lifecycle import Status
from grants.models import Application, ApplicationAttachment, BudgetLine, GroupMembership, ResidentGroup
from grants.validators import credit_code_check_char

from ..factories import ApplicationFactory, CallFactory, CommunityFactory, GroupFactory, UserFactory

pytestmark = pytest.mark.django_db


def register(user, **overrides):
    data = dict(
        name="银发互助队",
        group_type="mutual_aid",
        community=CommunityFactory(),
        leader_name="陈敏",
        leader_phone="13900000000",
        member_count=12,
        member_list="陈敏 1栋\n刘洋 2栋\n赵静 5栋",
        introduction="帮助独居老人",
        credit_code="",
    )
    data.update(overrides)
    return group_services.group_register(user=user, **data)


def valid_credit_code(prefix="51440300MJL00000"):
    body = (prefix + "0")[:17]
    return body + credit_code_check_char(body)


def test_registering_a_group_makes_the_person_its_leader_and_an_applicant():
    user = UserFactory()
    group = register(user)
    assert group.filing_status == "pending"
    assert GroupMembership.objects.get(group=group, user=user).role == "leader"
    assert user.groups.filter(name__contains="Applicant").exists()


def test_a_registered_organisation_needs_a_valid_credit_code():
    user = UserFactory()
    with pytest.raises(GrantsError, match="统一社会信用代码"):
        register(user, group_type="registered")
    with pytest.raises(GrantsError, match="校验位"):
        register(
            user,
            group_type="registered",
            credit_code=valid_credit_code()[:17] + "0"
            if valid_credit_code()[17] != "0"
            else valid_credit_code()[:17] + "1",
        )
    group = register(user, group_type="registered", credit_code=valid_credit_code())
    assert group.credit_code == valid_credit_code()


def test_the_same_group_name_in_a_community_is_refused():
    community = CommunityFactory()
    register(UserFactory(), community=community)
    with pytest.raises(GrantsError, match="同名"):
        register(UserFactory(), community=community)
    assert ResidentGroup.objects.count() == 1


def test_a_charter_is_judged_by_its_bytes():
    fake = SimpleUploadedFile("章程.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    with pytest.raises(GrantsError, match="按文件内容判断"):
        register(UserFactory(), charter=fake)
    assert not ResidentGroup.objects.exists()


def test_staff_file_a_group_or_return_it_with_a_reason(staff):
    group = register(UserFactory())
    with pytest.raises(GrantsError):
        group_services.group_return(group=group, reason="", actor=staff)
    group_services.group_return(group=group, reason="成员名单不完整", actor=staff)
    group.refresh_from_db()
    assert group.filing_status == "returned" and group.filing_note == "成员名单不完整"
    group_services.group_file(group=group, filing_number="CH-2026-101", filed_on=timezone.localdate(), actor=staff)
    group.refresh_from_db()
    assert group.is_filed and group.filing_number == "CH-2026-101"


def test_filing_needs_a_number_and_a_date_not_in_the_future(staff):
    group = register(UserFactory())
    with pytest.raises(GrantsError):
        group_services.group_file(group=group, filing_number=" ", filed_on=timezone.localdate(), actor=staff)
    with pytest.raises(GrantsError):
        group_services.group_file(
            group=group, filing_number="X", filed_on=timezone.localdate() + timedelta(days=1), actor=staff
        )
    assert ResidentGroup.objects.get(pk=group.pk).filing_status == "pending"


def test_members_invite_others_and_one_person_can_be_in_several_groups():
    alice, bob = UserFactory(email="alice@example.invalid"), UserFactory(email="bob@example.invalid")
    first, second = GroupFactory(leader=alice), GroupFactory(leader=UserFactory())
    group_services.invitation_accept(
        token=group_services.group_invite(group=first, email="BOB@example.invalid", actor=alice).token, user=bob
    )
    group_services.invitation_accept(
        token=group_services.group_invite(group=second, email="bob@example.invalid", actor=alice).token, user=bob
    )
    assert set(bob.group_memberships.values_list("group", flat=True)) == {first.pk, second.pk}


def test_an_invitation_is_for_its_address_only_once_and_not_forever():
    alice, eve = UserFactory(email="alice@example.invalid"), UserFactory(email="eve@example.invalid")
    group = GroupFactory(leader=alice)
    invitation = group_services.group_invite(group=group, email="carol@example.invalid", actor=alice)
    with pytest.raises(GrantsError, match="另一个邮箱"):
        group_services.invitation_accept(token=invitation.token, user=eve)
    carol = UserFactory(email="carol@example.invalid")
    group_services.invitation_accept(token=invitation.token, user=carol)
    with pytest.raises(GrantsError, match="已被使用"):
        group_services.invitation_accept(token=invitation.token, user=carol)
    old = group_services.group_invite(group=group, email="dan@example.invalid", actor=alice)
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    with pytest.raises(GrantsError, match="过期"):
        group_services.invitation_accept(token=old.token, user=UserFactory(email="dan@example.invalid"))


def test_only_members_start_an_application_and_only_while_the_call_is_open():
    leader = UserFactory()
    group = GroupFactory(leader=leader)
    with pytest.raises(GrantsError, match="团队成员"):
        application_services.application_start(call=CallFactory(), group=group, user=UserFactory())
    closed = CallFactory(closes_at=timezone.now() - timedelta(hours=1), opens_at=timezone.now() - timedelta(days=30))
    with pytest.raises(GrantsError, match="申报期"):
        application_services.application_start(call=closed, group=group, user=leader)
    assert application_services.application_start(call=CallFactory(), group=group, user=leader).status == Status.DRAFT


def test_the_call_can_be_limited_to_communities_and_tracks():
    leader = UserFactory()
    group = GroupFactory(leader=leader)
    call = CallFactory(tracks=["registered"])
    with pytest.raises(GrantsError, match="不面向"):
        application_services.application_start(call=call, group=group, user=leader)
    other = CallFactory()
    other.communities.add(CommunityFactory())
    with pytest.raises(GrantsError, match="不面向"):
        application_services.application_start(call=other, group=group, user=leader)


def leader_of(application):
    return application.group.memberships.get(role="leader").user


def test_a_draft_keeps_only_the_groups_own_fields():
    application = ApplicationFactory()
    application_services.application_save_draft(
        application=application,
        user=leader_of(application),
        fields={"title": "新标题", "status": "completed", "awarded_amount": Decimal("99999"), "call": None},
    )
    application.refresh_from_db()
    assert application.title == "新标题"
    assert application.status == Status.DRAFT and application.awarded_amount is None


def test_titles_with_emoji_full_width_and_rare_characters_are_kept():
    application = ApplicationFactory()
    title = "𠀀邻里💡互助　ＡＢＣ（全角）"
    application_services.application_save_draft(
        application=application, user=leader_of(application), fields={"title": title}
    )
    assert Application.objects.get(pk=application.pk).title == title


def test_a_5000_character_title_is_refused_with_a_message_not_a_crash():
    application = ApplicationFactory()
    with pytest.raises(GrantsError):
        application_services.application_save_draft(
            application=application, user=leader_of(application), fields={"title": "长" * 5000}
        )
    assert Application.objects.get(pk=application.pk).title != "长" * 5000


def problems_of(application):
    with pytest.raises(GrantsError) as exc:
        application_services.application_submit(application=application, user=leader_of(application))
    assert Application.objects.get(pk=application.pk).status == application.status
    return exc.value.messages


def test_a_complete_application_submits():
    application = ApplicationFactory()
    assert (
        application_services.application_submit(application=application, user=leader_of(application)).status
        == Status.SUBMITTED
    )


def test_submission_after_the_window_closes_is_refused():
    application = ApplicationFactory()
    type(application.call).objects.filter(pk=application.call_id).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    assert any("截止" in m for m in problems_of(application))


def test_a_group_not_yet_filed_cannot_submit():
    application = ApplicationFactory(group__filing_status="pending", group__filing_number="", group__filed_on=None)
    assert any("备案" in m for m in problems_of(application))


def test_budget_lines_that_do_not_add_up_to_the_request_are_refused():
    application = ApplicationFactory(requested_amount=Decimal("12000.00"))
    assert any("合计" in m and "12,000.00" in m for m in problems_of(application))


def test_a_request_outside_the_calls_limits_is_refused():
    application = ApplicationFactory(requested_amount=Decimal("30000.00"))
    BudgetLine.objects.filter(application=application).delete()
    application_services.application_save_draft(
        application=application,
        user=leader_of(application),
        fields={},
        lines=[LineInput("services", "专业服务", Decimal("1000.00"), Decimal("30"), Decimal("30000.00"))],
    )
    assert any("20,000.00" in m for m in problems_of(application))


def test_every_problem_is_reported_at_once():
    application = ApplicationFactory(summary="", team="", beneficiary_count=None, requested_amount=Decimal("1.00"))
    messages = problems_of(application)
    assert len(messages) >= 4
    assert all(isinstance(m, str) and m for m in messages)


def small_pdf(name="计划书.pdf", size=None):
    data = b"%PDF-1.4\n" + (b"0" * (size - 9) if size else b"test")
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            SimpleUploadedFile("报告.pdf", b"<!DOCTYPE html><html>hi</html>", content_type="application/pdf"),
            "按文件内容判断",
        ),
        (
            SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', content_type="image/svg+xml"),
            "按文件内容判断",
        ),
        (SimpleUploadedFile("空.pdf", b"", content_type="application/pdf"), "为空"),
    ],
)
def test_attachments_that_are_not_what_they_claim_are_refused(upload, message):
    application = ApplicationFactory()
    with pytest.raises(GrantsError, match=message):
        application_services.application_attach(application=application, user=leader_of(application), file=upload)
    assert not ApplicationAttachment.objects.exists()


def test_an_11_mb_attachment_is_refused():
    application = ApplicationFactory()
    with pytest.raises(GrantsError, match="10 MB"):
        application_services.application_attach(
            application=application, user=leader_of(application), file=small_pdf(size=11 * 1024 * 1024)
        )


def test_at_most_ten_attachments():
    application = ApplicationFactory()
    for i in range(10):
        application_services.application_attach(
            application=application, user=leader_of(application), file=small_pdf(f"{i}.pdf")
        )
    with pytest.raises(GrantsError, match="最多 10"):
        application_services.application_attach(application=application, user=leader_of(application), file=small_pdf())
    assert application.attachments.count() == 10


def test_nothing_changes_on_a_submitted_application():
    application = ApplicationFactory()
    application_services.application_submit(application=application, user=leader_of(application))
    with pytest.raises(GrantsError, match="已提交"):
        application_services.application_save_draft(
            application=application, user=leader_of(application), fields={"title": "改"}
        )
    with pytest.raises(GrantsError, match="已提交"):
        application_services.application_attach(application=application, user=leader_of(application), file=small_pdf())


def test_a_filing_number_belongs_to_one_group(staff):
    first, second = register(UserFactory()), register(UserFactory(), name="另一个队")
    group_services.group_file(group=first, filing_number="HY-BA-2026-007", filed_on=timezone.localdate(), actor=staff)
    with pytest.raises(GrantsError, match="另一个团队"):
        group_services.group_file(
            group=second, filing_number="HY-BA-2026-007", filed_on=timezone.localdate(), actor=staff
        )
    assert ResidentGroup.objects.get(pk=second.pk).filing_status == "pending"


def test_a_registered_organisation_needs_no_filing_and_can_apply():
    user = UserFactory()
    org = register(user, group_type="registered", credit_code=valid_credit_code(), name="社工服务中心")
    assert org.filing_status == "not_required"
    application = ApplicationFactory(group=org)
    assert application_services.application_submit(application=application, user=user).status == Status.SUBMITTED
